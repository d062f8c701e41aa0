using BayesDL.Engine;
using TorchSharp;
using static TorchSharp.torch;

namespace BayesDL.Mcmc;

/// <summary>
/// The target of MCMC: an unnormalized log density log p~(theta) = log p(theta) + log p(y | theta) + const over a
/// flat parameter vector theta in R^D. Bayes' rule fixes the posterior only up to the evidence
/// p(y) = integral p(y | theta) p(theta) dtheta, which is intractable for most models; MCMC needs the density
/// only up to that constant (and HMC its gradient, here by autograd). Evaluated for a batch of chains at once:
/// positions [C, D] -&gt; log densities [C].
/// </summary>
public sealed class LogDensity
{
    readonly Func<Tensor, Tensor> _batched;
    readonly Func<Tensor, (Tensor LogDensity, Tensor Gradient)>? _valueAndGradient;

    LogDensity(string name, int dimension, ComputePolicy policy, Func<Tensor, Tensor> batched,
               Func<Tensor, (Tensor, Tensor)>? valueAndGradient = null)
    {
        Validation.Check.Positive(dimension, nameof(LogDensity), nameof(dimension));
        Name = name;
        Dimension = dimension;
        Policy = policy;
        _batched = batched;
        _valueAndGradient = valueAndGradient;
    }

    /// <summary>True when the target carries a closed-form gradient, which the samplers use instead of autograd.</summary>
    public bool HasClosedFormGradient => _valueAndGradient is not null;

    /// <summary>A label used in messages.</summary>
    public string Name { get; }

    /// <summary>D, the length of the parameter vector.</summary>
    public int Dimension { get; }

    /// <summary>Device and dtype of the positions the sampler creates (float64 recommended: energy errors are small differences).</summary>
    public ComputePolicy Policy { get; }

    /// <summary>log p~ at each row of <paramref name="positions"/> [C, D]; returns [C].</summary>
    public Tensor Evaluate(Tensor positions)
    {
        // Called on every leapfrog step: the messages are built only when they are needed.
        if (positions.dim() != 2 || positions.shape[1] != Dimension)
            throw Validation.Check.Error($"{nameof(LogDensity)} '{Name}'", nameof(positions),
                $"shape {Validation.Check.Shape(positions.shape)}", $"[chains, {Dimension}]");
        Tensor result = _batched(positions);
        if (result.dim() != 1 || result.shape[0] != positions.shape[0])
            throw Validation.Check.Error($"{nameof(LogDensity)} '{Name}'", "result",
                $"shape {Validation.Check.Shape(result.shape)}", $"one log density per chain, shape ({positions.shape[0]})",
                "A target built with FromFunction must return a scalar; one built with FromBatchedFunction a vector [C].");
        return result;
    }

    /// <summary>
    /// log p~ [C] and its gradient [C, D] at <paramref name="positions"/> [C, D] from the closed form given at construction,
    /// without autograd (no graph is recorded). Only for targets with <see cref="HasClosedFormGradient"/>.
    /// </summary>
    internal (Tensor LogDensity, Tensor Gradient) ClosedFormValueAndGradient(Tensor positions)
    {
        var (value, gradient) = _valueAndGradient!(positions);
        if (value.dim() != 1 || value.shape[0] != positions.shape[0] || !gradient.shape.SequenceEqual(positions.shape))
            throw Validation.Check.Error($"{nameof(LogDensity)} '{Name}'", "closed-form value and gradient",
                $"shapes {Validation.Check.Shape(value.shape)} and {Validation.Check.Shape(gradient.shape)}",
                $"({positions.shape[0]}) and {Validation.Check.Shape(positions.shape)}: one value and one gradient row per chain");
        return (value, gradient);
    }

    /// <summary>
    /// A vectorised target ([C, D] -&gt; [C], as <see cref="FromBatchedFunction(int, Func{Tensor, Tensor}, ComputePolicy?, string)"/>)
    /// that also knows its gradient in closed form:
    /// <paramref name="valueAndGradient"/> maps positions [C, D] to (log p~ [C], grad log p~ [C, D]). The samplers call it
    /// instead of autograd, which on small models costs several times the arithmetic (a fixed cost per recorded operation);
    /// <see cref="Evaluate"/> keeps the differentiable <paramref name="logDensity"/>, so the target also serves autograd users.
    /// The two must agree: a wrong hand-derived gradient makes HMC sample the wrong distribution (test it against autograd).
    /// </summary>
    public static LogDensity FromBatchedFunction(int dimension, Func<Tensor, Tensor> logDensity,
        Func<Tensor, (Tensor LogDensity, Tensor Gradient)> valueAndGradient, ComputePolicy? policy = null, string name = "target")
    {
        Validation.Check.Argument(valueAndGradient is not null, nameof(LogDensity), nameof(valueAndGradient), "null",
            "a function from positions [C, D] to (log densities [C], gradients [C, D])",
            "Use the overload without it to differentiate logDensity by autograd.");
        return new(name, dimension, policy ?? ComputePolicy.Default.Float64(), logDensity, valueAndGradient);
    }

    /// <summary>A target from a function of one parameter vector [D] to a scalar log density (evaluated chain by chain).</summary>
    public static LogDensity FromFunction(int dimension, Func<Tensor, Tensor> logDensity,
        ComputePolicy? policy = null, string name = "target") =>
        new(name, dimension, policy ?? ComputePolicy.Default.Float64(), theta =>
        {
            var rows = new Tensor[theta.shape[0]];
            for (long c = 0; c < rows.Length; c++)
            {
                Tensor v = logDensity(theta[c]);
                Validation.Check.Argument(v.numel() == 1, $"{nameof(LogDensity)} '{name}'", "result",
                    $"shape {Validation.Check.Shape(v.shape)}", "a scalar log density");
                rows[c] = v.reshape(1);
            }
            return cat(rows);
        });

    /// <summary>A target from a vectorised function of positions [C, D] to log densities [C]: one call per leapfrog step
    /// for all chains.</summary>
    public static LogDensity FromBatchedFunction(int dimension, Func<Tensor, Tensor> logDensity,
        ComputePolicy? policy = null, string name = "target") =>
        new(name, dimension, policy ?? ComputePolicy.Default.Float64(), logDensity);

    /// <summary>
    /// The posterior of <see cref="Inference.ConjugateLinearRegression"/>'s model (y = X w + e, e ~ N(0, sigma^2 I),
    /// w ~ N(0, tau^2 I)), unnormalized: log N(w; 0, tau^2 I) + sum_i log N(y_i; x_i^T w, sigma^2). Its exact
    /// posterior is known, so MCMC, VI and Bayes' rule can be compared on it. Positions follow the data's device and dtype.
    /// <para>
    /// Evaluated as one least-squares problem with the prior as D extra observations, the form ridge regression takes:
    /// log p~(w) = c - ||y~ - X~ w||^2 / 2 with X~ = [X / sigma; I / tau] and y~ = [y / sigma; 0], c the two normalising
    /// constants. The same number, in three tensor operations (a fused multiply-add, a dot product, an add) where the
    /// term-by-term form takes a dozen: on a model this small the cost of a gradient is mostly a fixed cost per operation.
    /// The gradient is known in closed form, grad log p~(w) = X~^T (y~ - X~ w), and the samplers use it
    /// (<see cref="HasClosedFormGradient"/>): one more matrix product instead of autograd's graph.
    /// </para>
    /// </summary>
    public static LogDensity BayesianLinearRegression(Tensor x, Tensor y, double noiseStd, double priorStd)
    {
        Inference.ConjugateLinearRegression.CheckArguments(x, y, noiseStd, priorStd);
        long n = x.shape[0], d = x.shape[1];
        double constant = -n * Math.Log(noiseStd * Math.Sqrt(2 * Math.PI)) - d * Math.Log(priorStd * Math.Sqrt(2 * Math.PI));
        Tensor design, response, normaliser;
        using (var scope = NewDisposeScope())
        {
            Tensor prior = eye(d, dtype: x.dtype, device: x.device) / priorStd;
            design = cat([x / noiseStd, prior], 0).T.contiguous().MoveToOuterDisposeScope(); // X~^T, [D, N + D]
            response = cat([y / noiseStd, zeros(d, dtype: y.dtype, device: y.device)]).MoveToOuterDisposeScope();
            normaliser = tensor(constant, dtype: x.dtype, device: x.device).MoveToOuterDisposeScope();
        }
        // They live as long as the target.
        design.DetachFromDisposeScope();
        response.DetachFromDisposeScope();
        normaliser.DetachFromDisposeScope();
        Tensor Residual(Tensor w) => addmm(response, w, design, beta: 1, alpha: -1); // y~ - X~ w per chain, [C, N + D]
        Tensor Value(Tensor residual) => normaliser.add(linalg.vecdot(residual, residual), alpha: -0.5);
        return new("Bayesian linear regression", (int)d, new ComputePolicy(x.device, x.dtype), w => Value(Residual(w)), w =>
        {
            using var noGraph = no_grad();
            Tensor residual = Residual(w);
            return (Value(residual), residual.matmul(design.T)); // [C, N + D] x [N + D, D]
        });
    }

    /// <summary>
    /// Bayesian logistic regression, y_i in {0, 1}, p(y_i = 1 | w) = sigmoid(x_i^T w), w ~ N(0, tau^2 I):
    /// log p~(w) = sum_i [y_i l_i - softplus(l_i)] + log N(w; 0, tau^2 I), l = X w. No closed-form posterior.
    /// </summary>
    public static LogDensity BayesianLogisticRegression(Tensor x, Tensor y, double priorStd)
    {
        const string who = nameof(BayesianLogisticRegression);
        Validation.Check.Argument(x.dim() == 2, who, "x", $"shape {Validation.Check.Shape(x.shape)}", "a matrix [N, D]");
        Validation.Check.Argument(y.dim() == 1 && y.shape[0] == x.shape[0], who, "y", $"shape {Validation.Check.Shape(y.shape)}",
            $"a vector [N] with N = {x.shape[0]} rows of x");
        Validation.Check.Satisfies(y, v => v.eq(0).logical_or(v.eq(1)), who, "y", "0 or 1", "Encode the two classes as 0 and 1.");
        Validation.Check.Positive(priorStd, who, nameof(priorStd));
        long d = x.shape[1];
        Tensor labels = y.to(x.dtype).DetachFromDisposeScope(); // lives as long as the target
        double priorConst = -d * Math.Log(priorStd * Math.Sqrt(2 * Math.PI));
        return new("Bayesian logistic regression", (int)d, new ComputePolicy(x.device, x.dtype), w =>
        {
            Tensor logits = w.matmul(x.T); // [C, N]
            return (labels * logits - nn.functional.softplus(logits)).sum(1) + priorConst - w.square().sum(1) / (2 * priorStd * priorStd);
        });
    }
}
