// A linear regression with a flat prior on the coefficients and a half-Cauchy prior on the noise scale, in the C# delegate form:
// NUTS and full-rank ADVI side by side (on this near-Gaussian posterior they agree closely).
// Run: dotnet run --project BayesDL.Cli -- script scripts/regression.csx
using BayesDL.Mcmc;
using BayesDL.Modeling;
using BayesDL.Transforms;
using BayesDL.Variational;
using static TorchSharp.torch;

var rng = new Random(3);
double[] xs = Enumerable.Range(0, 50).Select(i => i / 10.0).ToArray();
var data = new Dictionary<string, Tensor>
{
    ["x"] = tensor(xs),
    ["y"] = tensor(xs.Select(v => 1.0 + 0.5 * v + 0.3 * (rng.NextDouble() - 0.5)).ToArray()),
};
var model = Model.Create("regression", m =>
{
    Tensor coef = m.Sample("beta", Constraint.Real, new long[] { 2 });
    Tensor sigma = m.Sample("sigma", Dist.HalfCauchy(2.5, m.Policy));
    m.Observe("y", Dist.Normal(coef.narrow(1, 0, 1) + coef.narrow(1, 1, 1) * m.Data("x"), sigma), m.Data("y"));
}, data);

int n = Quick ? 60 : 1000;
var nuts = ModelSampling.Nuts(model, new HmcOptions(Samples: n, Warmup: n, Chains: Quick ? 2 : 4, Seed: 2));
var advi = Advi.Fit(model, new AdviOptions(Family: GuideFamily.FullRank, Steps: Quick ? 200 : 5000, Draws: 1000, Seed: 2));
Console.WriteLine($"NUTS {nuts.Divergences} divergences, max R-hat {nuts.MaxRHat:F3}; full-rank ADVI ELBO {advi.Elbo:F2}");
foreach (string name in new[] { "beta[1]", "beta[2]", "sigma" })
    Console.WriteLine($"{name,-8} NUTS {nuts[name].Mean,8:F4} +- {nuts[name].StdDev:F4}   " +
                      $"ADVI {advi[name].Mean,8:F4} +- {advi[name].StdDev:F4}");
