// Eight schools (Rubin 1981; Gelman et al., BDA3 sec. 5.5), non-centred, in the model DSL: NUTS and mean-field ADVI on
// the same model object, Stan-style summaries of both, and ADVI's ELBO trace as a PNG; then the centred form, whose funnel
// NUTS cannot follow: where its divergences happened, as numbers and as a pairs plot.
// Run: dotnet fsi scripts/eight-schools.fsx (after `dotnet build BayesDL.sln`); writes artifacts/scripts/eight-schools-elbo-fsx.png
// and artifacts/scripts/eight-schools-divergences-fsx.png.
#load "references.fsx"
open TorchSharp
open BayesDL.Mcmc
open BayesDL.Variational
open BayesDL.Plotting
open BayesDL.Dsl.ProbModel

let y = torch.tensor [| 28.0; 8.0; -3.0; 7.0; -1.0; 1.0; 18.0; 12.0 |]
let sigma = torch.tensor [| 15.0; 10.0; 16.0; 11.0; 9.0; 11.0; 10.0; 18.0 |]

let model =
    probModel "eight schools, non-centred" {
        let! z = sampleShaped "theta_trans" [ 8L ] (Normal(0.0, 1.0))
        let! mu = sample "mu" (Normal(0.0, 5.0))
        let! tau = sample "tau" (HalfCauchy 5.0)
        let! theta = deterministic "theta" (z * tau + mu)
        do! observe "y" (Normal(theta, sigma)) y
    }
    |> function Ok m -> m | Error e -> failwith e.Message

let quick = References.quick
let n = if quick then 60 else 1000
use nuts = ModelSampling.Nuts(model, HmcOptions(Samples = n, Warmup = n, Chains = (if quick then 2 else 4), Seed = 1L))
printfn "NUTS: %d divergences, max R-hat %.3f" nuts.Divergences nuts.MaxRHat
for row in nuts.Summary do printfn "%O" row

use advi = Advi.Fit(model, AdviOptions(Family = GuideFamily.MeanField, Steps = (if quick then 200 else 5000), Draws = 1000, Seed = 1L))
printfn "\nmean-field ADVI: ELBO %.2f after %d steps (%.1f s)" advi.Elbo advi.ElboTrace.Count advi.Elapsed.TotalSeconds
for name in [ "mu"; "tau"; "theta[1]" ] do
    printfn "%-9s NUTS %7.2f +- %5.2f   ADVI %7.2f +- %5.2f" name nuts[name].Mean nuts[name].StdDev advi[name].Mean advi[name].StdDev
let png = References.artifact "eight-schools-elbo-fsx.png"
printfn "wrote %s" (ElboTracePlot.Save(advi.ElboTrace, png, "Eight schools: mean-field ADVI", skip = 10))

// The centred form: theta ~ N(mu, tau^2) directly. As tau shrinks, theta's scale shrinks with it (a funnel); a step size that
// suits the wide mouth overshoots in the neck, and the trajectory diverges there.
let centred =
    probModel "eight schools, centred" {
        let! mu = sample "mu" (Normal(0.0, 5.0))
        let! tau = sample "tau" (HalfCauchy 5.0)
        let! theta = sampleShaped "theta" [ 8L ] (Normal(mu, tau))
        do! observe "y" (Normal(theta, sigma)) y
    }
    |> function Ok m -> m | Error e -> failwith e.Message
use funnel =
    ModelSampling.Nuts(centred, HmcOptions(Samples = n, Warmup = n, Chains = (if quick then 2 else 4), MaxTreeDepth = 6, Seed = 5L))
let struct (tauAtDivergences, tauDraws) = funnel.WhereDiverged "tau"
let median (v: float[]) = if v.Length = 0 then nan else (Array.sort v)[v.Length / 2]
printfn "\ncentred: %d divergences; tau where they happened: median %.2f, against %.2f over the draws"
    funnel.Divergences (median tauAtDivergences) (median tauDraws)
printfn "wrote %s" (DivergencePlot.Save(funnel, "theta[1]", "tau", References.artifact "eight-schools-divergences-fsx.png", logY = true))
