namespace Judge.Statistics;

/// <summary>Settings for <see cref="LogisticRegression.Fit"/>. Mutable; safe to share once set up.</summary>
internal sealed class LogisticRegressionOptions
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
internal sealed record LogisticFit(IReadOnlyList<double> Coefficients, int Iterations, bool Converged)
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
internal static class LogisticRegression
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
        Validate(rows, targets, penalties, weights);
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

    /// <summary>
    /// L1-penalised logistic regression (the lasso) with soft targets, as scikit-learn's
    /// <c>LogisticRegression(penalty="l1", C=1/λ, fit_intercept=False)</c>: minimises
    /// Σᵢ wᵢ ℓᵢ(β) + λ Σⱼ |βⱼ| with ℓᵢ the soft log-loss −[yᵢ log pᵢ + (1 − yᵢ) log(1 − pᵢ)]. A soft
    /// target y is the same as scikit-learn's duplicated rows (y = 1 with weight w·y, y = 0 with weight
    /// w·(1 − y)). Proximal Newton: each step minimises the quadratic model plus the L1 term by
    /// coordinate descent, then backtracks until the objective decreases. Dense, for a handful of
    /// columns. Pure and thread-safe.
    /// </summary>
    /// <param name="rows">The design matrix, one array per observation, all of the same length.</param>
    /// <param name="targets">yᵢ in [0, 1].</param>
    /// <param name="l1">λ ≥ 0, the same for every column (scikit-learn's 1/C).</param>
    /// <param name="weights">wᵢ ≥ 0 per observation; <see langword="null"/> for all 1.</param>
    /// <param name="options">Iteration limits; defaults when <see langword="null"/>.</param>
    /// <exception cref="ArgumentException">Lengths disagree, a target lies outside [0, 1], or λ or a weight is negative.</exception>
    public static LogisticFit FitL1(IReadOnlyList<double[]> rows, IReadOnlyList<double> targets, double l1, IReadOnlyList<double>? weights = null, LogisticRegressionOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(rows);
        options ??= new LogisticRegressionOptions();
        var p = rows.Count == 0 ? 0 : rows[0].Length;
        Validate(rows, targets, Enumerable.Repeat(l1, p).ToArray(), weights);
        var beta = new double[p];
        var gradient = new double[p];
        var hessian = new double[p, p];
        var step = new double[p];
        var objective = L1Objective(rows, targets, weights, beta, l1);
        for (var iteration = 1; iteration <= options.MaxIterations; iteration++)
        {
            Array.Clear(gradient);
            Array.Clear(hessian);
            for (var i = 0; i < rows.Count; i++)
            {
                var x = rows[i];
                var w = weights?[i] ?? 1;
                var mu = Sigmoid(Dot(x, beta));
                var residual = w * (mu - targets[i]);
                var curvature = w * mu * (1 - mu);
                for (var j = 0; j < p; j++)
                {
                    gradient[j] += residual * x[j];
                    for (var k = 0; k < p; k++)
                    {
                        hessian[j, k] += curvature * x[j] * x[k];
                    }
                }
            }

            // The lasso on the quadratic model: minimise gᵀd + ½dᵀHd + λ‖β + d‖₁ over d by coordinate descent.
            Array.Clear(step);
            for (var sweep = 0; sweep < 200; sweep++)
            {
                double moved = 0;
                for (var j = 0; j < p; j++)
                {
                    var a = hessian[j, j] + 1e-12;
                    var c = gradient[j];
                    for (var k = 0; k < p; k++)
                    {
                        if (k != j)
                        {
                            c += hessian[j, k] * step[k];
                        }
                    }

                    var u = SoftThreshold((a * beta[j]) - c, l1) / a;
                    var d = u - beta[j];
                    moved = Math.Max(moved, Math.Abs(d - step[j]));
                    step[j] = d;
                }

                if (moved < 1e-13)
                {
                    break;
                }
            }

            // Backtrack until the objective decreases (or the step is negligible).
            var t = 1.0;
            var candidate = new double[p];
            double next;
            while (true)
            {
                for (var j = 0; j < p; j++)
                {
                    candidate[j] = beta[j] + (t * step[j]);
                }

                next = L1Objective(rows, targets, weights, candidate, l1);
                if (next <= objective + 1e-12 || t < 1e-10)
                {
                    break;
                }

                t /= 2;
            }

            double change = 0;
            for (var j = 0; j < p; j++)
            {
                change = Math.Max(change, Math.Abs(candidate[j] - beta[j]));
                beta[j] = candidate[j];
            }

            var improvement = objective - next;
            objective = Math.Min(objective, next);
            if (change < options.Tolerance || (improvement >= 0 && improvement < 1e-14 * (1 + Math.Abs(objective))))
            {
                return new LogisticFit(beta, iteration, true);
            }
        }

        return new LogisticFit(beta, options.MaxIterations, false);
    }

    /// <summary>Σᵢ wᵢ ℓᵢ: the weighted soft log-loss of <paramref name="beta"/> (no penalty).</summary>
    public static double LogLoss(IReadOnlyList<double[]> rows, IReadOnlyList<double> targets, IReadOnlyList<double>? weights, IReadOnlyList<double> beta)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(targets);
        double loss = 0;
        for (var i = 0; i < rows.Count; i++)
        {
            var z = Dot(rows[i], beta);

            // log(1 + e^z) − y z, the soft log-loss in a form that does not overflow.
            var softplus = z > 0 ? z + Math.Log(1 + Math.Exp(-z)) : Math.Log(1 + Math.Exp(z));
            loss += (weights?[i] ?? 1) * (softplus - (targets[i] * z));
        }

        return loss;
    }

    private static double L1Objective(IReadOnlyList<double[]> rows, IReadOnlyList<double> targets, IReadOnlyList<double>? weights, double[] beta, double l1)
    {
        double norm = 0;
        foreach (var b in beta)
        {
            norm += Math.Abs(b);
        }

        return LogLoss(rows, targets, weights, beta) + (l1 * norm);
    }

    private static double SoftThreshold(double z, double threshold) => z > threshold ? z - threshold : z < -threshold ? z + threshold : 0;

    private static void Validate(IReadOnlyList<double[]> rows, IReadOnlyList<double> targets, IReadOnlyList<double> penalties, IReadOnlyList<double>? weights)
    {
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
