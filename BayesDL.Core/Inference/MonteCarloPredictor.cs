using BayesDL.Engine;
using BayesDL.Objectives;
using BayesDL.Predictive;
using BayesDL.Validation;
using TorchSharp;
using static TorchSharp.torch;

namespace BayesDL.Inference;

/// <summary>
/// Monte Carlo prediction from a network with stochastic forward passes (MC dropout, concrete dropout, or
/// any layer that samples in evaluation mode): T passes f_θ_t(x) give p(y | x) ≈ (1/T) Σ_t softmax(f_θ_t(x))
/// (Gal &amp; Ghahramani 2016) or, for regression, the means and noise variances of a Gaussian mixture.
/// Vectorized: the inputs are replicated T times along the batch dimension, [x; x; …; x] of shape
/// [T·n, ...], so one pass of large matrix products replaces T small ones; row t·n + i is sample t of input
/// i and receives its own masks because every dropout layer draws one mask element per row. Leading
/// deterministic layers of a Sequential (e.g. the first Linear + ReLU when there is no input dropout) run once
/// per input before the replication, which a loop of T passes cannot share. The
/// replicated rows per pass are capped by a memory budget (bytes per replicated row measured by one probe
/// pass), so large T or N are split into chunks of inputs and, if needed, of samples.
/// </summary>
public sealed class MonteCarloPredictor : IStochasticPredictor
{
    /// <summary>
    /// Wraps <paramref name="model"/> (put in evaluation mode while predicting, then restored) whose outputs
    /// <paramref name="likelihood"/> interprets (default categorical: logits; <c>Likelihood.Gaussian(GaussianNoise.Heteroscedastic)</c>
    /// for mean and noise scale outputs as in Kendall &amp; Gal 2017).
    /// </summary>
    public MonteCarloPredictor(nn.Module<Tensor, Tensor> model, Likelihood? likelihood = null, MonteCarloPredictionOptions? options = null)
    {
        Model = model;
        Likelihood = likelihood ?? Likelihood.Categorical();
        Options = options ?? new MonteCarloPredictionOptions();
        Options.Validate();
    }

    /// <summary>The stochastic network.</summary>
    public nn.Module<Tensor, Tensor> Model { get; }

    /// <summary>How outputs become predictive samples.</summary>
    public Likelihood Likelihood { get; }

    /// <summary>The prediction settings.</summary>
    public MonteCarloPredictionOptions Options { get; }

    /// <summary>T = <paramref name="samples"/> stochastic predictions for inputs [N, ...] (no gradient).</summary>
    public PredictiveSamples Predict(Tensor inputs, int samples)
    {
        using var scope = NewDisposeScope();
        var result = Likelihood.Predictive(SampleOutputs(inputs, samples));
        result.Samples.MoveToOuterDisposeScope();
        result.Variances?.MoveToOuterDisposeScope();
        return result;
    }

    /// <summary>The raw outputs of T stochastic passes, shape [T, N, K]; the caller owns the result.</summary>
    public Tensor SampleOutputs(Tensor inputs, int samples)
    {
        Check.Positive(samples, nameof(MonteCarloPredictor), nameof(samples));
        Check.Argument(inputs.dim() >= 1 && inputs.shape[0] > 0, nameof(MonteCarloPredictor), nameof(inputs),
            "shape " + Check.Shape(inputs.shape), "a non-empty batch [N, ...]");
        bool wasTraining = Model.training;
        Model.eval();
        try
        {
            using var noGrad = no_grad();
            return Options.Vectorized ? Vectorized(inputs, samples) : Loop(inputs, samples);
        }
        finally { Model.train(wasTraining); }
    }

    /// <summary>The replicated rows one vectorized pass may hold: the explicit cap, else budget / measured bytes per row.</summary>
    public long RowsPerPass(Tensor inputs)
    {
        if (Options.MaxRowsPerPass is long rows) return rows;
        long perRow = BytesPerRow(inputs);
        return Math.Max(1, (long)(Options.MemoryBudgetMB * 1024 * 1024 / perRow));
    }

    Tensor Loop(Tensor inputs, int samples)
    {
        using var scope = NewDisposeScope();
        var outputs = new Tensor[samples];
        for (int t = 0; t < samples; t++)
        {
            // One scope per pass: only the output survives, not the pass's activations.
            using var pass = NewDisposeScope();
            outputs[t] = Model.forward(inputs).MoveToOuterDisposeScope();
            NativeAllocator.CollectIfDue();
        }
        return stack(outputs).MoveToOuterDisposeScope();
    }

    Tensor Vectorized(Tensor inputs, int samples)
    {
        long n = inputs.shape[0], rows = RowsPerPass(inputs);
        long group = Math.Min(samples, rows);             // samples per pass
        long chunk = Math.Max(1, rows / group);           // inputs per pass
        using var outer = NewDisposeScope();
        // The deterministic prefix runs once per input, in large batches (one GEMM over up to `rows` inputs instead
        // of one small GEMM per pass); only its output (e.g. 400 hidden units instead of 784 pixels) is replicated.
        var prefixed = new List<Tensor>();
        for (long start = 0; start < n; start += rows)
        {
            using var scope = NewDisposeScope();
            prefixed.Add(Prefix(inputs[TensorIndex.Slice(start, Math.Min(n, start + rows))]).MoveToOuterDisposeScope());
        }
        Tensor features = prefixed.Count == 1 ? prefixed[0] : cat(prefixed, 0);
        // Each pass writes into its slice of one preallocated [T, N, K...] result: no list of small kept tensors
        // interleaved with the passes' temporaries (which kept glibc from reusing freed memory: RSS grew ~150 MB per
        // T = 100 prediction over 2,000 images) and no final concatenation copy.
        Tensor? result = null;
        for (long start = 0; start < n; start += chunk)
        {
            long count = Math.Min(chunk, n - start);
            Tensor h = features[TensorIndex.Slice(start, start + count)];
            for (long s0 = 0; s0 < samples; s0 += group)
            {
                long g = Math.Min(group, samples - s0);
                using var scope = NewDisposeScope();
                Tensor pass = Suffix(h, g);
                if (result is null)
                {
                    var shape = (long[])pass.shape.Clone();
                    shape[0] = samples; shape[1] = n;
                    result = empty(shape, pass.dtype, pass.device).MoveToOuterDisposeScope();
                }
                result.narrow(0, s0, g).narrow(1, start, count).copy_(pass);
                NativeAllocator.CollectIfDue();
            }
        }
        return result!.MoveToOuterDisposeScope();
    }

    /// <summary>One pass over x repeated g times (see <see cref="Suffix"/>); the prefix runs on the n inputs first.</summary>
    Tensor Replicated(Tensor x, long g) => Suffix(Prefix(x), g);

    /// <summary>The leading deterministic layers of a Sequential (see <see cref="DeterministicPrefix"/>) on the n inputs.</summary>
    Tensor Prefix(Tensor x)
    {
        Tensor h = x;
        foreach (var m in (_stages ??= Stages(Model)).Prefix) h = m.call(h);
        return h;
    }

    /// <summary>
    /// The remaining layers on h [n, ...] repeated g times: rows [t·n + i] = h[i], each row with its own dropout
    /// masks; the output reshaped to [g, n, K...].
    /// </summary>
    Tensor Suffix(Tensor h, long g)
    {
        long n = h.shape[0];
        var reps = new long[h.dim()];
        Array.Fill(reps, 1L);
        reps[0] = g;
        h = g == 1 ? h : h.repeat(reps);
        foreach (var m in (_stages ??= Stages(Model)).Suffix) h = m.call(h);
        var shape = new long[h.dim() + 1];
        shape[0] = g; shape[1] = n;
        Array.Copy(h.shape, 1, shape, 2, h.dim() - 1);
        return h.reshape(shape);
    }

    (nn.Module<Tensor, Tensor>[] Prefix, nn.Module<Tensor, Tensor>[] Suffix)? _stages;

    /// <summary>
    /// The leading layers of a <see cref="TorchSharp.Modules.Sequential"/> that are deterministic in
    /// evaluation mode (Linear, convolutions, pooling, element-wise activations, Flatten, Identity), up to the
    /// first other layer (dropout, Bayesian layers, anything unknown). Empty for other models.
    /// </summary>
    public int DeterministicPrefix => (_stages ??= Stages(Model)).Prefix.Length;

    static (nn.Module<Tensor, Tensor>[] Prefix, nn.Module<Tensor, Tensor>[] Suffix) Stages(nn.Module<Tensor, Tensor> model)
    {
        if (model is not TorchSharp.Modules.Sequential seq) return (Array.Empty<nn.Module<Tensor, Tensor>>(), new[] { model });
        var children = seq.children().Cast<nn.Module<Tensor, Tensor>>().ToArray();
        int k = 0;
        while (k < children.Length && IsDeterministic(children[k])) k++;
        return (children[..k], children[k..]);
    }

    static bool IsDeterministic(nn.Module module) => module is TorchSharp.Modules.Linear or TorchSharp.Modules.Conv1d
        or TorchSharp.Modules.Conv2d or TorchSharp.Modules.Conv3d or TorchSharp.Modules.ReLU or TorchSharp.Modules.Tanh
        or TorchSharp.Modules.Sigmoid or TorchSharp.Modules.GELU or TorchSharp.Modules.LeakyReLU or TorchSharp.Modules.ELU
        or TorchSharp.Modules.SiLU or TorchSharp.Modules.Flatten or TorchSharp.Modules.Identity
        or TorchSharp.Modules.MaxPool2d or TorchSharp.Modules.AvgPool2d;

    /// <summary>
    /// Bytes per replicated row: the replicated input plus the output of every tensor-to-tensor module of
    /// the model (collected by forward hooks), as B(2 rows) − B(1 row) from two probe passes. Summing all
    /// activations bounds what one pass holds at once (Sequential frees intermediates as it goes).
    /// </summary>
    long BytesPerRow(Tensor inputs)
    {
        long one = ProbeBytes(inputs, 1), two = ProbeBytes(inputs, 2);
        return Math.Max(two - one, Math.Max(1, one / 2));
    }

    long ProbeBytes(Tensor inputs, long rows)
    {
        long bytes = 0;
        var removers = new List<Action>();
        foreach (var (_, module) in Model.named_modules())
            if (module is nn.Module<Tensor, Tensor> m && !ReferenceEquals(m, Model))
            {
                var hook = m.register_forward_hook((_, _, output) =>
                    { bytes += output.NumberOfElements * output.ElementSize; return output; });
                removers.Add(hook.remove);
            }
        try
        {
            using var scope = NewDisposeScope();
            Tensor output = Replicated(inputs[TensorIndex.Slice(0, 1)], rows);
            bytes += rows * inputs[0].NumberOfElements * inputs.ElementSize + output.NumberOfElements * output.ElementSize;
        }
        finally { foreach (var remove in removers) remove(); }
        return bytes;
    }
}
