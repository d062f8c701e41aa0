// A linear regression with a flat prior on the coefficients and a half-Cauchy prior on the noise scale, in the model DSL:
// NUTS and full-rank ADVI side by side (on this near-Gaussian posterior they agree closely).
// Run: dotnet fsi scripts/regression.fsx (after `dotnet build BayesDL.sln`).
#load "references.fsx"
open TorchSharp
open BayesDL.Mcmc
open BayesDL.Variational
open BayesDL.Transforms
open BayesDL.Dsl.ProbModel

let rng = System.Random 3
let xs = Array.init 50 (fun i -> float i / 10.0)
let x = torch.tensor xs
let y = torch.tensor (xs |> Array.map (fun v -> 1.0 + 0.5 * v + 0.3 * (rng.NextDouble() - 0.5)))

let model =
    probModel "regression" {
        let! beta = flat "beta" [ 2L ] Constraint.Real
        let! sigma = sample "sigma" (HalfCauchy 2.5)
        do! observe "y" (Normal(beta.narrow(1, 0L, 1L) + beta.narrow(1, 1L, 1L) * x, sigma)) y
    }
    |> function Ok m -> m | Error e -> failwith e.Message

let quick = References.quick
let n = if quick then 60 else 1000
use nuts = ModelSampling.Nuts(model, HmcOptions(Samples = n, Warmup = n, Chains = (if quick then 2 else 4), Seed = 2L))
use advi = Advi.Fit(model, AdviOptions(Family = GuideFamily.FullRank, Steps = (if quick then 200 else 5000), Draws = 1000, Seed = 2L))
printfn "NUTS %d divergences, max R-hat %.3f; full-rank ADVI ELBO %.2f" nuts.Divergences nuts.MaxRHat advi.Elbo
for name in [ "beta[1]"; "beta[2]"; "sigma" ] do
    printfn "%-8s NUTS %8.4f +- %.4f   ADVI %8.4f +- %.4f" name nuts[name].Mean nuts[name].StdDev advi[name].Mean advi[name].StdDev
