using BayesDL.Engine;
using BayesDL.Layers;
using TorchSharp;
using static TorchSharp.torch;

namespace BayesDL.Networks;

/// <summary>
/// The layer kind BayesLinear: a dense layer with a mean-field Gaussian posterior N(mu, softplus(rho)^2) over W [out, in]
/// and b [out] (Blundell et al. 2015). A model file records [in, out] and its <see cref="BayesLayerOptions"/>; the
/// functional form is a dense layer's over the weights themselves (W then b, the posterior means as current values),
/// each under the layer's prior.
/// </summary>
internal sealed class BayesLinearKind : LayerKind
{
    public override string Type => nameof(BayesLinear);
    public override System.Type Module => typeof(BayesLinear);

    internal override LayerRecord? Save(nn.Module module, Func<nn.Module, LayerRecord> inner)
    {
        var l = (BayesLinear)module;
        return new(Type, [l.InFeatures, l.OutFeatures], l.Options);
    }

    internal override nn.Module<Tensor, Tensor> Load(LayerReading reading)
    {
        long[] s = reading.Sizes(2);
        return BayesNN.BayesLinear(s[0], s[1], reading.Record.Options);
    }

    internal override long Weights(LayerRecord record) => Product(record.Sizes, 0, 1);

    internal override FunctionalLayer? Functional(nn.Module module)
    {
        var l = (BayesLinear)module;
        return LinearKind.Dense(l.WeightMu, l.BiasMu, l.Options.EffectivePrior);
    }

    // rho = -60: sigma ~ 1e-26, so a forward pass is the means' up to rounding.
    internal override (nn.Module<Tensor, Tensor> Module, long[] Input) Example() =>
        (BayesNN.BayesLinear(3, 4, new BayesLayerOptions(GradientEstimator.Reparameterization, PriorSpec.Laplace(0.0, 0.5),
            InitialRho: -60)), [3]);
}

/// <summary>
/// A Bayesian dense layer: weights w ~ q(w) = N(mu, softplus(rho)^2), prior p(w) (Blundell et al. 2015); under a
/// correlated context (low or full rank) a <see cref="MultivariateBayesLinear"/> over all its weights.
/// </summary>
internal sealed record BayesLinearSpec(long In, long Out, PriorSpec? Prior, GradientEstimator Estimator, bool Bias) : LayerSpec
{
    public override string Name => $"BayesLinear({In} -> {Out})";
    public override IReadOnlyList<long> DeclaredInput => [In];
    public override long WeightCount => In * Out + (Bias ? Out : 0);
    public override bool IsBayesian => true;
    internal override PriorSpec? DeclaredPrior => Prior;
    internal override string? Invalid() => In < 1 || Out < 1 ? $"{Name}: widths must be >= 1; found in {In}, out {Out}." : null;
    internal override ShapeStep Infer(IReadOnlyList<long> input) =>
        input.Count == 1 && input[0] == In ? ShapeStep.Ok(Out) : ShapeStep.Expect($"[{In}]");
    internal override nn.Module<Tensor, Tensor> Create(BuildContext context) => context.CorrelatedRank is int rank
        // A correlated Gaussian over all the layer's weights: low rank plus diagonal, or a full Cholesky factor (rank 0).
        ? context.Policy.Apply(BayesNN.MultivariateBayesLinear(In, Out, new MultivariateBayesOptions(rank, Prior ?? context.DefaultPrior)))
        : context.Policy.Apply(BayesNN.BayesLinear(In, Out, new BayesLayerOptions(Estimator, Prior ?? context.DefaultPrior, Bias: Bias)));
}
