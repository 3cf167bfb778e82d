namespace Judge.Bias;

/// <summary>Settings for <see cref="LogisticRegression.Fit"/>. Mutable; safe to share once set up.</summary>
public sealed class LogisticRegressionOptions
{
    /// <summary>Newton steps at most. Default 100.</summary>
    public int MaxIterations { get; set; } = 100;

    /// <summary>Stop when no coefficient moves by more than this. Default 1e-10.</summary>
    public double Tolerance { get; set; } = 1e-10;
}

/// <summary>A fitted logistic regression.</summary>
/// <param name="Coefficients">One coefficient per column of the design matrix.</param>
/// <param name="Iterations">Newton steps taken.</param>
/// <param name="Converged">Whether the last step moved every coefficient by less than the tolerance.</param>
public sealed record LogisticFit(IReadOnlyList<double> Coefficients, int Iterations, bool Converged)
{
    /// <summary>σ(x·β) for one row.</summary>
    public double Predict(ReadOnlySpan<double> row) => LogisticRegression.Sigmoid(LogisticRegression.Dot(row, Coefficients));
}

/// <summary>
/// L2-penalised logistic regression by Newton's method (IRLS). Minimises
/// −Σᵢ wᵢ [yᵢ log pᵢ + (1 − yᵢ) log(1 − pᵢ)] + ½ Σⱼ λⱼ βⱼ², pᵢ = σ(xᵢ·β), where the targets yᵢ may
/// lie anywhere in [0, 1] (a tie counted as half a win is y = 0.5: the same likelihood, read as a
/// quasi-likelihood). Each column has its own penalty λⱼ, so an intercept can go unpenalised while
/// per-question effects are shrunk. With every λⱼ &gt; 0 the objective is strictly convex and the
/// minimum exists even for separable data. Dense: meant for a few hundred columns. Pure and thread-safe.
/// </summary>
public static class LogisticRegression
{
    /// <summary>The logistic function, computed without overflow.</summary>
    public static double Sigmoid(double z) => z >= 0 ? 1 / (1 + Math.Exp(-z)) : Math.Exp(z) / (1 + Math.Exp(z));

    /// <summary>Fits the model.</summary>
    /// <param name="rows">The design matrix, one array per observation, all of the same length.</param>
    /// <param name="targets">yᵢ in [0, 1].</param>
    /// <param name="penalties">λⱼ ≥ 0 per column.</param>
    /// <param name="weights">wᵢ ≥ 0 per observation; <see langword="null"/> for all 1.</param>
    /// <param name="options">Iteration limits; defaults when <see langword="null"/>.</param>
    /// <exception cref="ArgumentException">Lengths disagree, a target lies outside [0, 1], or a penalty or weight is negative.</exception>
    public static LogisticFit Fit(IReadOnlyList<double[]> rows, IReadOnlyList<double> targets, IReadOnlyList<double> penalties, IReadOnlyList<double>? weights = null, LogisticRegressionOptions? options = null)
    {
        options ??= new LogisticRegressionOptions();
        var p = penalties.Count;
        if (rows.Count != targets.Count || (weights is not null && weights.Count != rows.Count))
        {
            throw new ArgumentException("rows, targets and weights differ in length", nameof(targets));
        }

        foreach (var row in rows)
        {
            if (row.Length != p)
            {
                throw new ArgumentException($"a row has {row.Length} columns, the penalties {p}", nameof(rows));
            }
        }

        if (targets.Any(y => !(y >= 0 && y <= 1)))
        {
            throw new ArgumentException("targets lie in [0, 1]", nameof(targets));
        }

        if (penalties.Any(l => !(l >= 0)) || (weights?.Any(w => !(w >= 0)) ?? false))
        {
            throw new ArgumentException("penalties and weights are non-negative", nameof(penalties));
        }

        var beta = new double[p];
        var gradient = new double[p];
        var hessian = new double[p, p];
        for (var iteration = 1; iteration <= options.MaxIterations; iteration++)
        {
            Array.Clear(gradient);
            Array.Clear(hessian);
            for (var j = 0; j < p; j++)
            {
                // The penalty's gradient and curvature; a tiny ridge keeps an all-zero, unpenalised column solvable.
                gradient[j] = penalties[j] * beta[j];
                hessian[j, j] = penalties[j] + 1e-12;
            }

            for (var i = 0; i < rows.Count; i++)
            {
                var x = rows[i];
                var w = weights?[i] ?? 1;
                var mu = Sigmoid(Dot(x, beta));
                var residual = w * (mu - targets[i]);
                var curvature = w * mu * (1 - mu);
                for (var j = 0; j < p; j++)
                {
                    if (x[j] == 0)
                    {
                        continue;
                    }

                    gradient[j] += residual * x[j];
                    var cx = curvature * x[j];
                    for (var k = j; k < p; k++)
                    {
                        hessian[j, k] += cx * x[k];
                    }
                }
            }

            for (var j = 0; j < p; j++)
            {
                for (var k = 0; k < j; k++)
                {
                    hessian[j, k] = hessian[k, j];
                }
            }

            var step = Solve(hessian, gradient);
            double change = 0;
            for (var j = 0; j < p; j++)
            {
                // Step halving is unnecessary for a convex objective in practice, but a cap keeps
                // near-separable data from overshooting into overflow on the first steps.
                var s = Math.Clamp(step[j], -10, 10);
                beta[j] -= s;
                change = Math.Max(change, Math.Abs(s));
            }

            if (change < options.Tolerance)
            {
                return new LogisticFit(beta, iteration, true);
            }
        }

        return new LogisticFit(beta, options.MaxIterations, false);
    }

    internal static double Dot(ReadOnlySpan<double> x, IReadOnlyList<double> beta)
    {
        double z = 0;
        for (var j = 0; j < x.Length; j++)
        {
            z += x[j] * beta[j];
        }

        return z;
    }

    /// <summary>Solves A s = b for symmetric positive definite A by Cholesky (A is overwritten).</summary>
    private static double[] Solve(double[,] a, double[] b)
    {
        var n = b.Length;
        for (var j = 0; j < n; j++)
        {
            var d = a[j, j];
            for (var k = 0; k < j; k++)
            {
                d -= a[j, k] * a[j, k];
            }

            d = Math.Sqrt(Math.Max(d, 1e-300));
            a[j, j] = d;
            for (var i = j + 1; i < n; i++)
            {
                var s = a[i, j];
                for (var k = 0; k < j; k++)
                {
                    s -= a[i, k] * a[j, k];
                }

                a[i, j] = s / d;
            }
        }

        var y = new double[n];
        for (var i = 0; i < n; i++)
        {
            var s = b[i];
            for (var k = 0; k < i; k++)
            {
                s -= a[i, k] * y[k];
            }

            y[i] = s / a[i, i];
        }

        var x = new double[n];
        for (var i = n - 1; i >= 0; i--)
        {
            var s = y[i];
            for (var k = i + 1; k < n; k++)
            {
                s -= a[k, i] * x[k];
            }

            x[i] = s / a[i, i];
        }

        return x;
    }
}
