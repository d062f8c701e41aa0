// Eight schools (Rubin 1981; Gelman et al., BDA3 sec. 5.5), non-centred, from BayesDL's registry of example models
// (the posteriordb posterior eight_schools-eight_schools_noncentered): NUTS and mean-field ADVI on the same model object,
// Stan-style summaries of both, and ADVI's ELBO trace as a PNG; then the centred form, whose funnel NUTS cannot follow: where
// its divergences happened, as numbers and as a pairs plot.
// Run: dotnet run --project BayesDL.Cli -- script scripts/eight-schools.csx; writes artifacts/scripts/eight-schools-elbo-csx.png
// and artifacts/scripts/eight-schools-divergences-csx.png.
using BayesDL.Distributions;
using BayesDL.Examples;
using BayesDL.Modeling;
using BayesDL.Mcmc;
using BayesDL.Variational;
using static TorchSharp.torch;

var data = new Dictionary<string, Tensor>
{
    ["y"] = tensor(new[] { 28.0, 8.0, -3.0, 7.0, -1.0, 1.0, 18.0, 12.0 }),
    ["sigma"] = tensor(new[] { 15.0, 10.0, 16.0, 11.0, 9.0, 11.0, 10.0, 18.0 }),
};
var model = ExampleModels.Create("eight_schools-eight_schools_noncentered", data);

int n = Quick ? 60 : 1000;
var nuts = ModelSampling.Nuts(model, new HmcOptions(Samples: n, Warmup: n, Chains: Quick ? 2 : 4, Seed: 1));
Console.WriteLine($"NUTS: {nuts.Divergences} divergences, max R-hat {nuts.MaxRHat:F3}");
foreach (var row in nuts.Summary) Console.WriteLine(row);

var advi = Advi.Fit(model, new AdviOptions(Family: GuideFamily.MeanField, Steps: Quick ? 200 : 5000, Draws: 1000, Seed: 1));
Console.WriteLine($"\nmean-field ADVI: ELBO {advi.Elbo:F2} after {advi.ElboTrace.Count} steps ({advi.Elapsed.TotalSeconds:F1} s)");
foreach (string name in new[] { "mu", "tau", "theta[1]" })
    Console.WriteLine($"{name,-9} NUTS {nuts[name].Mean,7:F2} +- {nuts[name].StdDev,5:F2}   " +
                      $"ADVI {advi[name].Mean,7:F2} +- {advi[name].StdDev,5:F2}");
string png = ElboTracePlot.Save(advi.ElboTrace, Artifact("eight-schools-elbo-csx.png"), "Eight schools: mean-field ADVI", skip: 10);
Console.WriteLine($"wrote {png}");

// The centred form: theta ~ N(mu, tau^2) directly. As tau shrinks, theta's scale shrinks with it (a funnel); a step size that
// suits the wide mouth overshoots in the neck, and the trajectory diverges there.
var centred = Model.Create("eight schools, centred", m =>
{
    Tensor mu = m.Sample("mu", Dist.Normal(0, 5, m.Policy));
    Tensor tau = m.Sample("tau", Dist.HalfCauchy(5, m.Policy));
    Tensor theta = m.Sample("theta", Dist.Normal(mu, tau), [8]);
    m.Observe("y", Dist.Normal(theta, data["sigma"]), data["y"]);
});
var funnel = ModelSampling.Nuts(centred, new HmcOptions(Samples: n, Warmup: n, Chains: Quick ? 2 : 4, MaxTreeDepth: 6, Seed: 5));
var (tauAtDivergences, tauDraws) = funnel.WhereDiverged("tau");
static double Median(double[] v) => v.Length == 0 ? double.NaN : v.Order().ElementAt(v.Length / 2);
Console.WriteLine($"\ncentred: {funnel.Divergences} divergences; tau where they happened: median {Median(tauAtDivergences):F2}, " +
                  $"against {Median(tauDraws):F2} over the draws");
Console.WriteLine($"wrote {DivergencePlot.Save(funnel, "theta[1]", "tau", Artifact("eight-schools-divergences-csx.png"), logY: true)}");
