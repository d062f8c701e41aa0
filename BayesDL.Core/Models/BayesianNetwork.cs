using BayesDL.Engine;
using BayesDL.Inference;
using BayesDL.Layers;
using BayesDL.Objectives;
using BayesDL.Predictive;
using BayesDL.Validation;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace BayesDL.Models;

/// <summary>
/// A network body (a <see cref="Sequential"/> mixing Bayesian and deterministic layers) with its likelihood.
/// forward gives one stochastic output; <see cref="Predict"/> gives T predictions by running the inputs repeated
/// T times in one batch with every variational layer drawing T independent weight sets (batched matmul), in
/// chunks of at most <see cref="PredictRowBudget"/> rows. Save and load with <see cref="ModelFile"/>.
/// Inputs are checked before the engine sees them (<see cref="forward"/>, <see cref="ForwardDraws"/>, <see cref="Predict"/>):
/// the dtype and device of the network's parameters, and the features (or channels) its first weight layer takes.
/// <para>Thread safety: one network may serve <see cref="Predict"/>, <see cref="ForwardDraws"/> and <see cref="forward"/> from
/// several threads at once (a model behind a web endpoint). A forward pass sets per-pass state on the layers (the number of
/// weight draws, evaluation mode), so these calls are serialised by a lock on the network: concurrent calls are safe and
/// give valid predictions, but run one at a time. The random draws come from TorchSharp's process-wide generator, so each
/// call takes a contiguous run of its stream: after <c>NativeEngine.Seed(s)</c>, k concurrent predictions equal the k
/// predictions made one after another from the same seed, in the order the calls took the lock. Training the network
/// while predicting from it on another thread is not supported.</para>
/// </summary>
public sealed class BayesianNetwork : nn.Module<Tensor, Tensor>, IStochasticPredictor, IVariationalModel
{
#pragma warning disable IDE1006 // registered under the field names
    readonly Sequential body;
    readonly Likelihood likelihood;
#pragma warning restore IDE1006

    internal BayesianNetwork(Sequential body, Likelihood likelihood) : base(nameof(BayesianNetwork))
    {
        this.body = body;
        this.likelihood = likelihood;
        RegisterComponents();
        // MC-dropout layers are a variational posterior too (Bernoulli q(W), Gal & Ghahramani 2016): their KL term is
        // zero here (the dropout objective), and repeated inputs in ForwardDraws draw independent masks.
        Check.Argument(VariationalLayers.Count > 0 || body.modules().OfType<Layers.IMonteCarloLayer>().Any(),
            nameof(BayesianNetwork), nameof(body),
            "no variational layer", "a Sequential holding at least one BayesLinear, BayesConv2d or MC-dropout layer",
            "Convert a network with BayesianConverter.Convert or MCDropoutConverter.Convert.");
    }

    /// <summary>The layers.</summary>
    public Sequential Body => body;

    /// <summary>The observation model.</summary>
    public Likelihood Likelihood => likelihood;

    /// <summary>Input rows per forward pass in <see cref="Predict"/> (T x N rows are split into chunks of whole draws).</summary>
    public long PredictRowBudget
    {
        get => _predictRowBudget;
        set { Check.Positive(value, nameof(BayesianNetwork), nameof(PredictRowBudget)); _predictRowBudget = value; }
    }

    long _predictRowBudget = 16384;

    /// <summary>Serialises forward passes: they set WeightDraws and the training mode on the shared layers.</summary>
    readonly object _forwardGate = new();

    /// <summary>Every layer with a variational posterior, in order.</summary>
    public IReadOnlyList<IVariationalLayer> VariationalLayers =>
        body.children().OfType<IVariationalLayer>().ToList();

    /// <summary>Sum over layers of KL(q || p); 0 for a network without variational layers (e.g. MC dropout).</summary>
    public Tensor KL()
    {
        using var scope = NewDisposeScope();
        var layers = VariationalLayers;
        if (layers.Count == 0)
        {
            var like = parameters().FirstOrDefault();
            return (like is null ? zeros(new long[0]) : zeros(new long[0], dtype: like.dtype,
                device: like.device)).MoveToOuterDisposeScope();
        }
        Tensor total = layers.Select(l => l.KL()).Aggregate((a, b) => a + b);
        return total.MoveToOuterDisposeScope();
    }

    /// <summary>One stochastic forward pass: raw outputs (logits, means, ...). The input is checked first
    /// (see the class remarks).</summary>
    public override Tensor forward(Tensor input)
    {
        CheckInput(input, nameof(input));
        lock (_forwardGate) return body.forward(input);
    }

    /// <summary>
    /// Raw outputs of <paramref name="draws"/> independent weight draws, shape [draws, N, ...], in one forward
    /// pass over the inputs repeated <paramref name="draws"/> times (with gradient if enabled).
    /// </summary>
    public Tensor ForwardDraws(Tensor input, int draws)
    {
        Check.Positive(draws, nameof(BayesianNetwork), nameof(draws));
        CheckInput(input, nameof(input));
        lock (_forwardGate) return Draws(input, draws);
    }

    /// <summary>
    /// Checks <paramref name="input"/> (named <paramref name="parameter"/> in the message) before the engine sees it: the dtype
    /// and device of the first weight layer's parameters, a batch dimension, and what that layer takes: for a dense layer
    /// the last dimension (or, after a Flatten, the elements per example) equals its input features; for a convolution
    /// the input is [N, C, H, W] with C its input channels. The shape is checked only when every module before that layer
    /// is one known to keep the feature count (activations, dropout, Flatten).
    /// </summary>
    internal void CheckInput(Tensor input, string parameter)
    {
        if (NetworkInput.Find(body) is not { } firstLayer) return;
        var (first, layer, flattened, known) = firstLayer;
        const string component = nameof(BayesianNetwork);
        if (layer.parameters().FirstOrDefault() is { } weights)
        {
            Check.Argument(input.dtype == weights.dtype, component, parameter, $"dtype {input.dtype}",
                $"{weights.dtype}, the dtype of the network's parameters",
                $"Convert the inputs ({parameter}.to({weights.dtype}); F#: .to_type)" +
                (input.dtype is ScalarType.Float32 or ScalarType.Float64
                    ? $", or build or load the model under a ComputePolicy of dtype {input.dtype}, e.g. " +
                    $"ComputePolicy.Default.{input.dtype}()."
                    : "."));
            Check.Argument(input.device_type == weights.device_type && input.device_index == weights.device_index, component,
                parameter, $"device {input.device}",
                $"{weights.device}, the device of the network's parameters", $"Move the inputs with {parameter}.to(\"{weights.device}\").");
        }
        if (!known) return; // a module of the user's own before the first weight layer may change the shape
        string found = "shape " + Check.Shape(input.shape);
        string what = layer.GetType().Name;
        if (first.IsConvolutional)
        {
            Check.Argument(input.dim() == 4 && input.shape[1] == first.Size, component, parameter, found,
                $"[N, {first.Size}, H, W] (images of {first.Size} channels for the first layer, {what})",
                input.dim() == 2
                    ? $"Reshape flat rows to images, e.g. {parameter}.reshape(N, {first.Size}, H, W)."
                    : "Give the images the model was trained on, as a batch [N, C, H, W].");
            return;
        }
        long features = flattened && input.dim() >= 2 ? input.shape.Skip(1).Aggregate(1L, (a, b) => a * b) : input.shape[^1];
        Check.Argument(input.dim() >= 2 && features == first.Size, component, parameter, found,
            flattened
                ? $"[N, ...] with {first.Size} elements per example (the input features of the first layer, {what}, after Flatten)"
                : $"[N, {first.Size}] ({first.Size} input features of the first layer, {what})",
            input.dim() < 2
                ? $"Add the batch dimension: {parameter}.unsqueeze(0) for one example."
                : $"Give rows of {first.Size} features, like the data the model was trained on.");
    }

    /// <summary>The body of <see cref="ForwardDraws"/>, without the checks; the caller holds the forward lock.</summary>
    Tensor Draws(Tensor input, int draws, LayerBuffers? buffers = null)
    {
        using var scope = NewDisposeScope();
        long n = input.shape[0];
        var layers = VariationalLayers;
        foreach (var l in layers) l.WeightDraws = draws;
        try
        {
            Tensor output = is_grad_enabled() ? body.forward(Repeat(input, draws)) : ForwardFreeing(input, draws, buffers);
            return output.view(new[] { (long)draws, n }.Concat(output.shape.Skip(1)).ToArray()).MoveToOuterDisposeScope();
        }
        finally
        {
            foreach (var l in layers) l.WeightDraws = 1;
        }
    }

    /// <summary><paramref name="input"/> [n, ...] repeated <paramref name="draws"/> times along the batch: [draws n, ...].</summary>
    static Tensor Repeat(Tensor input, int draws) => draws == 1 ? input : input.unsqueeze(0)
        .expand(new[] { (long)draws }.Concat(input.shape).ToArray())
        .reshape(new[] { draws * input.shape[0] }.Concat(input.shape.Skip(1)).ToArray());

    /// <summary>
    /// The body's layers in order without gradients on <paramref name="input"/> repeated <paramref name="draws"/> times: the
    /// same numbers as <c>body.forward</c> on the repeated rows, with less memory.
    /// <list type="bullet">
    /// <item>Each layer's input is freed as soon as the next output exists (not <paramref name="input"/>, the caller's
    /// tensor), so a prediction chunk holds one layer's activations at a time instead of every layer's.</item>
    /// <item>A <see cref="BayesLinear"/> under the local reparameterization runs <see cref="BayesLinear.PredictRows"/>: as the
    /// first layer on the inputs unrepeated when there are at least <see cref="BayesLinear.SharedMomentsMinRows"/> (its means
    /// and variances once per input, not once per draw, so the repeated inputs are never made), its temporaries in row
    /// blocks, its output in <paramref name="buffers"/> when given.</item>
    /// <item>A ReLU after such a layer runs in place on that layer's output (no one else sees it).</item>
    /// </list>
    /// Those two kinds of layer are called directly, bypassing their forward hooks.
    /// </summary>
    Tensor ForwardFreeing(Tensor input, int draws, LayerBuffers? buffers)
    {
        var children = body.children().Cast<nn.Module<Tensor, Tensor>>().ToList();
        Tensor h = input;
        // repeated: h holds the draws' rows (draws n); owned: h is a BayesLinear output of this pass (see above).
        bool repeated = draws == 1, owned = false;
        for (int i = 0; i < children.Count; i++)
        {
            var layer = children[i];
            if (owned && layer is ReLU)
            {
                h.relu_();
                continue;
            }
            Tensor next;
            bool nextOwned = false;
            if (layer is BayesLinear { TakesRepeatedInput: true } linear && h.dim() == 2 && h.shape[1] == linear.InFeatures)
            {
                if (!repeated && h.shape[0] < BayesLinear.SharedMomentsMinRows)
                {
                    h = Repeat(h, draws);
                    repeated = true;
                }
                int copies = repeated ? 1 : draws;
                next = linear.PredictRows(h, copies, buffers?.Rent(i, copies * h.shape[0], linear.OutFeatures, h.dtype, h.device));
                nextOwned = true;
            }
            else
            {
                if (!repeated) h = Repeat(h, draws);
                next = layer.call(h);
            }
            repeated = true;
            // A layer may return its input itself (Identity, dropout off): then there is nothing to free.
            if (!ReferenceEquals(next, h) && !ReferenceEquals(h, input) && next.Handle != h.Handle) h.Dispose();
            h = next; owned = nextOwned;
        }
        return repeated ? h : Repeat(h, draws);
    }

    /// <summary>
    /// Output buffers of a prediction's layers, kept from one chunk to the next (outside any dispose scope; disposed with
    /// this object). Allocating each chunk's activations afresh, glibc's heap grew by about one activation block (25.6 MB
    /// in the bbb benchmark) at almost every chunk, up to 800-1,100 MB, while free chunks of about that size stayed unused:
    /// libtorch allocates with <c>posix_memalign</c>, which asks for the size plus the alignment, so a freed block of the
    /// same size fits the next request only when a neighbour is free too (glibc malloc_info after 7 chunks: 438 MB free in
    /// 39 chunks, the largest 25,600,017 bytes, for 25,600,000-byte tensors).
    /// </summary>
    sealed class LayerBuffers : IDisposable
    {
        readonly Dictionary<int, Tensor> _kept = new();

        /// <summary>The first <paramref name="rows"/> rows of the buffer of layer <paramref name="layer"/>, made or enlarged.</summary>
        public Tensor Rent(int layer, long rows, long columns, ScalarType dtype, Device device)
        {
            if (!_kept.TryGetValue(layer, out var kept) || kept.shape[0] < rows || kept.shape[1] != columns || kept.dtype != dtype
                || kept.device_type != device.type || kept.device_index != device.index)
            {
                kept?.Dispose();
                kept = empty(new[] { rows, columns }, dtype: dtype, device: device).DetachFromDisposeScope();
                _kept[layer] = kept;
            }
            return kept.narrow(0, 0, rows);
        }

        public void Dispose()
        {
            foreach (var kept in _kept.Values) kept.Dispose();
            _kept.Clear();
        }
    }

    /// <inheritdoc/>
    /// <remarks>
    /// The inputs are checked first (dtype, device and features against the first weight layer). Safe to call from several
    /// threads at once: calls are serialised by the network's forward lock (see the class remarks).
    /// </remarks>
    public PredictiveSamples Predict(Tensor inputs, int samples)
    {
        Check.Positive(samples, nameof(BayesianNetwork), nameof(samples));
        CheckInput(inputs, nameof(inputs));
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        lock (_forwardGate)
        {
            bool wasTraining = training;
            eval();
            try
            {
                int perChunk = (int)Math.Clamp(PredictRowBudget / Math.Max(1, inputs.shape[0]), 1, samples);
                // Several chunks: each is copied into its slice of one result [samples, N, ...] made after the first chunk
                // (a chunk's output may be a view of the layer buffers, which the next chunk overwrites), no final concatenation.
                Tensor? outputs = null;
                using var buffers = perChunk < samples ? new LayerBuffers() : null;
                for (int done = 0; done < samples; done += perChunk)
                {
                    int count = Math.Min(perChunk, samples - done);
                    using (var chunkScope = NewDisposeScope())
                    {
                        Tensor chunk = Draws(inputs, count, buffers);
                        if (count == samples) outputs = chunk.MoveToOuterDisposeScope();
                        else
                        {
                            outputs ??= empty(new long[] { samples }.Concat(chunk.shape.Skip(1)).ToArray(), dtype: chunk.dtype,
                                device: chunk.device).MoveToOuterDisposeScope();
                            outputs.narrow(0, done, count).copy_(chunk);
                        }
                    }
                    NativeAllocator.CollectIfDue();
                }
                var result = likelihood.Predictive(outputs!);
                result.Samples.MoveToOuterDisposeScope();
                result.Variances?.MoveToOuterDisposeScope();
                return result;
            }
            finally
            {
                train(wasTraining);
            }
        }
    }

    /// <summary>A Bayesian network from layers (run in order) and a likelihood.</summary>
    public static BayesianNetwork Create(Likelihood likelihood, params nn.Module<Tensor, Tensor>[] layers) =>
        new(nn.Sequential(layers), likelihood);

    /// <summary>A Bayesian network from an existing Sequential (e.g. the output of <see cref="BayesianConverter"/>).</summary>
    public static BayesianNetwork Create(Sequential body, Likelihood likelihood) => new(body, likelihood);
}
