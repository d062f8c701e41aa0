using BayesDL.Inference;
using BayesDL.Layers;
using BayesDL.Objectives;
using BayesDL.Validation;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using BayesDL.Predictive;

namespace BayesDL.Models;

/// <summary>
/// A network body (a <see cref="Sequential"/> mixing Bayesian and deterministic layers) with its likelihood.
/// forward gives one stochastic output; <see cref="Predict"/> gives T predictions by running the inputs repeated
/// T times in one batch with every variational layer drawing T independent weight sets (batched matmul), in
/// chunks of at most <see cref="PredictRowBudget"/> rows. Save and load with <see cref="ModelFile"/>.
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
        Check.Argument(VariationalLayers.Count > 0 || body.modules().OfType<Layers.IMonteCarloLayer>().Any(), nameof(BayesianNetwork), nameof(body),
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
            return (like is null ? zeros(new long[0]) : zeros(new long[0], dtype: like.dtype, device: like.device)).MoveToOuterDisposeScope();
        }
        Tensor total = layers.Select(l => l.KL()).Aggregate((a, b) => a + b);
        return total.MoveToOuterDisposeScope();
    }

    /// <summary>One stochastic forward pass: raw outputs (logits, means, ...).</summary>
    public override Tensor forward(Tensor input) => body.forward(input);

    /// <summary>
    /// Raw outputs of <paramref name="draws"/> independent weight draws, shape [draws, N, ...], in one forward
    /// pass over the inputs repeated <paramref name="draws"/> times (with gradient if enabled).
    /// </summary>
    public Tensor ForwardDraws(Tensor input, int draws)
    {
        Check.Positive(draws, nameof(BayesianNetwork), nameof(draws));
        using var scope = NewDisposeScope();
        long n = input.shape[0];
        long[] repeatedShape = new[] { draws * n }.Concat(input.shape.Skip(1)).ToArray();
        Tensor repeated = draws == 1 ? input : input.unsqueeze(0).expand(new[] { (long)draws }.Concat(input.shape).ToArray()).reshape(repeatedShape);
        var layers = VariationalLayers;
        foreach (var l in layers) l.WeightDraws = draws;
        try
        {
            Tensor output = body.forward(repeated);
            return output.view(new[] { (long)draws, n }.Concat(output.shape.Skip(1)).ToArray()).MoveToOuterDisposeScope();
        }
        finally
        {
            foreach (var l in layers) l.WeightDraws = 1;
        }
    }

    /// <inheritdoc/>
    public PredictiveSamples Predict(Tensor inputs, int samples)
    {
        Check.Positive(samples, nameof(BayesianNetwork), nameof(samples));
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        bool wasTraining = training;
        eval();
        try
        {
            int perChunk = (int)Math.Clamp(PredictRowBudget / Math.Max(1, inputs.shape[0]), 1, samples);
            var chunks = new List<Tensor>();
            for (int done = 0; done < samples; done += perChunk)
                chunks.Add(ForwardDraws(inputs, Math.Min(perChunk, samples - done)));
            Tensor outputs = chunks.Count == 1 ? chunks[0] : cat(chunks, 0);
            var result = likelihood.Predictive(outputs);
            result.Samples.MoveToOuterDisposeScope();
            result.Variances?.MoveToOuterDisposeScope();
            return result;
        }
        finally
        {
            train(wasTraining);
        }
    }

    /// <summary>A Bayesian network from layers (run in order) and a likelihood.</summary>
    public static BayesianNetwork Create(Likelihood likelihood, params nn.Module<Tensor, Tensor>[] layers) =>
        new(nn.Sequential(layers), likelihood);

    /// <summary>A Bayesian network from an existing Sequential (e.g. the output of <see cref="BayesianConverter"/>).</summary>
    public static BayesianNetwork Create(Sequential body, Likelihood likelihood) => new(body, likelihood);
}
