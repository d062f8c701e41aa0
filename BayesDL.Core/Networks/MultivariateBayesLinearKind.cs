using BayesDL.Layers;
using TorchSharp;
using static TorchSharp.torch;

namespace BayesDL.Networks;

/// <summary>
/// The layer kind MultivariateBayesLinear: a dense layer with one correlated Gaussian over theta = vec(W, b) (low rank
/// plus diagonal, or full). A model file records [in, out] and its <see cref="MultivariateBayesOptions"/>; the functional
/// form is a dense layer's over W and b (views of the posterior mean mu), under the layer's element-wise prior.
/// </summary>
internal sealed class MultivariateBayesLinearKind : LayerKind
{
    public override string Type => nameof(MultivariateBayesLinear);
    public override System.Type Module => typeof(MultivariateBayesLinear);

    internal override LayerRecord? Save(nn.Module module, Func<nn.Module, LayerRecord> inner)
    {
        var l = (MultivariateBayesLinear)module;
        return new(Type, [l.InFeatures, l.OutFeatures], null, Multivariate: l.Options);
    }

    internal override nn.Module<Tensor, Tensor> Load(LayerReading reading)
    {
        long[] s = reading.Sizes(2);
        return BayesNN.MultivariateBayesLinear(s[0], s[1], reading.Required(reading.Record.Multivariate, "Multivariate options"));
    }

    // d = in x out means plus a d x rank factor (d x d at full rank).
    internal override long Weights(LayerRecord record)
    {
        long d = Product(record.Sizes, 0, 1);
        return d < 0 ? -1 : Product([d, record.Multivariate is { Rank: > 0 } m ? m.Rank : d], 0, 1);
    }

    internal override FunctionalLayer? Functional(nn.Module module)
    {
        var l = (MultivariateBayesLinear)module;
        Tensor mu = l.get_parameter("mu") ?? throw new InvalidOperationException("MultivariateBayesLinear: no parameter mu");
        long w = l.InFeatures * l.OutFeatures;
        return LinearKind.Dense(mu.narrow(0, 0, w).view(l.OutFeatures, l.InFeatures), mu.narrow(0, w, l.OutFeatures),
            l.Options.EffectivePrior);
    }

    // rho = -60 and no initial factor: the covariance is ~1e-52 I, so a forward pass is the means' up to rounding.
    internal override (nn.Module<Tensor, Tensor> Module, long[] Input) Example() =>
        (BayesNN.MultivariateBayesLinear(3, 2, new MultivariateBayesOptions(Rank: 2, InitialRho: -60, InitialFactorStd: 0)), [3]);
}
