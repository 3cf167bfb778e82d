using Judge.Statistics;
using Judge.Statistics.Bias;

namespace Judge.Core.Tests.Bias;

public class LogisticRegressionTests
{
    [Fact]
    public void Fit_InterceptOnlyThreeOfFour_IsLogOfThree()
    {
        // Unpenalised intercept-only model: the score equation Σ (σ(β) − yᵢ) = 0 gives σ(β) = ȳ = 3/4,
        // so β = logit(3/4) = ln(0.75 / 0.25) = ln 3 ≈ 1.0986.
        var fit = LogisticRegression.Fit([[1.0], [1.0], [1.0], [1.0]], [1, 1, 1, 0], [0]);

        Assert.True(fit.Converged);
        Assert.Equal(Math.Log(3), fit.Coefficients[0], 9);
    }

    [Fact]
    public void Fit_SeparableWithL2_IsFiniteRootOfPenalisedScore()
    {
        // Two wins and no loss: unpenalised, β → ∞. With λ = 1 the penalised score is
        // 2(σ(β) − 1) + β = 0, i.e. β = 2σ(−β). By bisection on a calculator: β = 0.675 gives
        // 2σ(−0.675) = 0.67475 < 0.675 and β = 0.674 gives 0.67519 > 0.674; interpolating, β ≈ 0.6748.
        var fit = LogisticRegression.Fit([[1.0], [1.0]], [1, 1], [1]);

        var beta = fit.Coefficients[0];
        Assert.True(fit.Converged);
        Assert.Equal(0.6748, beta, 3);
        Assert.Equal(0, (2 * (LogisticRegression.Sigmoid(beta) - 1)) + beta, 9);
    }

    [Fact]
    public void Fit_SymmetricNonSeparable_InterceptZeroSlopeLogTwo()
    {
        // x = +1: two wins, one loss; x = −1: one win, two losses. By symmetry the intercept is 0,
        // and P(y = 1 | x = 1) = 2/3 = σ(β₁) gives β₁ = ln 2; then P(y = 1 | x = −1) = σ(−ln 2) = 1/3
        // matches the data, so both score equations hold exactly.
        double[][] x = [[1, 1], [1, 1], [1, 1], [1, -1], [1, -1], [1, -1]];
        var fit = LogisticRegression.Fit(x, [1, 1, 0, 0, 0, 1], [0, 0]);

        Assert.Equal(0, fit.Coefficients[0], 9);
        Assert.Equal(Math.Log(2), fit.Coefficients[1], 9);
    }

    [Fact]
    public void Fit_AllHalfTargets_IsZero()
    {
        // Ties counted as y = 0.5 everywhere: σ(0) = 0.5 solves every score equation.
        var fit = LogisticRegression.Fit([[1.0, 2.0], [1.0, -1.0], [1.0, 0.5]], [0.5, 0.5, 0.5], [0, 0]);

        Assert.Equal(0, fit.Coefficients[0], 9);
        Assert.Equal(0, fit.Coefficients[1], 9);
    }

    [Fact]
    public void Fit_PenaltyOnOneColumn_ShrinksOnlyThatColumn()
    {
        // Same data as the symmetric case: a heavy penalty on the slope drives it to 0 while the
        // unpenalised intercept stays at logit(1/2) = 0.
        double[][] x = [[1, 1], [1, 1], [1, 1], [1, -1], [1, -1], [1, -1]];
        var fit = LogisticRegression.Fit(x, [1, 1, 0, 0, 0, 1], [0, 1e6]);

        Assert.Equal(0, fit.Coefficients[0], 6);
        Assert.InRange(Math.Abs(fit.Coefficients[1]), 0, 1e-5);
    }

    [Fact]
    public void Fit_TargetOutsideUnitInterval_Throws()
    {
        Assert.Throws<ArgumentException>(() => LogisticRegression.Fit([[1.0]], [1.5], [0]));
    }

    [Theory]
    [InlineData(1, 0.01)]
    [InlineData(2, 1)]
    [InlineData(3, 5)]
    [InlineData(4, 20)]
    public void FitL1_RandomSoftData_SatisfiesLassoOptimality(int seed, double lambda)
    {
        // The lasso's optimality (KKT) conditions, which define its solution: with g the gradient of the
        // weighted soft log-loss at β, gⱼ = −λ·sign(βⱼ) where βⱼ ≠ 0, and |gⱼ| ≤ λ where βⱼ = 0.
        var random = new Random(seed);
        var rows = new double[300][];
        var targets = new double[300];
        var weights = new double[300];
        for (var i = 0; i < rows.Length; i++)
        {
            rows[i] = [Math.Tanh(random.NextDouble() * 4 - 2), (random.NextDouble() * 4) - 2, i % 5 == 0 ? 0 : 1];
            targets[i] = random.NextDouble() < 0.3 ? 0.5 : random.Next(2);
            weights[i] = i % 5 == 0 ? 0.1 : 1;
        }

        var fit = LogisticRegression.FitL1(rows, targets, lambda, weights);

        Assert.True(fit.Converged);
        var gradient = new double[3];
        for (var i = 0; i < rows.Length; i++)
        {
            var residual = weights[i] * (fit.Predict(rows[i]) - targets[i]);
            for (var j = 0; j < 3; j++)
            {
                gradient[j] += residual * rows[i][j];
            }
        }

        for (var j = 0; j < 3; j++)
        {
            if (fit.Coefficients[j] != 0)
            {
                Assert.Equal(-lambda * Math.Sign(fit.Coefficients[j]), gradient[j], 6);
            }
            else
            {
                Assert.True(Math.Abs(gradient[j]) <= lambda + 1e-6, $"coefficient {j} is 0 but |gradient| {Math.Abs(gradient[j])} > λ {lambda}");
            }
        }
    }

    [Fact]
    public void FitL1_PenaltyAboveGradientAtZero_AllCoefficientsZero()
    {
        // At β = 0 every prediction is ½; the gradient is Σ (½ − yᵢ)·xᵢ = (½ − 1) + (½ − 1) + (½ − 0) = −½
        // for a single column of ones with targets 1, 1, 0. Any λ ≥ ½ keeps β at exactly 0; λ = 0.4 does not.
        double[][] rows = [[1.0], [1.0], [1.0]];
        double[] targets = [1, 1, 0];

        Assert.Equal(0, LogisticRegression.FitL1(rows, targets, 0.5).Coefficients[0]);
        Assert.True(LogisticRegression.FitL1(rows, targets, 0.4).Coefficients[0] > 0);

        // Unpenalised it is the intercept-only MLE, logit(2/3) = ln 2.
        Assert.Equal(Math.Log(2), LogisticRegression.FitL1(rows, targets, 0).Coefficients[0], 9);
    }
}
