// Eight schools (Rubin 1981; Gelman et al., BDA3 sec. 5.5), non-centred, from BayesDL's registry of example models
// (the posteriordb posterior eight_schools-eight_schools_noncentered): NUTS and mean-field ADVI on the same model object,
// Stan-style summaries of both, and ADVI's ELBO trace as a PNG.
// Run: dotnet run --project BayesDL.Cli -- script scripts/eight-schools.csx; writes artifacts/scripts/eight-schools-elbo-csx.png.
using BayesDL.Examples;
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
