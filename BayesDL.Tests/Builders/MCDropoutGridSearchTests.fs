/// MC dropout's grid search (SequentialBuilder.SearchMCDropout, Gal & Ghahramani's UCI protocol): the choice is the pair of the
/// highest held-out mixture log-likelihood, recomputed here by hand; held-out rows come from their own training set; the refit
/// is the replicated fit of the choices on the whole sets; on data of known noise the chosen sd is that noise; bad settings name
/// the setting.
module BayesDL.Tests.Builders.MCDropoutGridSearchTests

open System
open Xunit
open BayesDL.Builders
open BayesDL.Data
open BayesDL.Tests.TestSupport
open TorchSharp

let private network () = ModelBuilder.Sequential().Linear(3L, 16L).Relu().Linear(16L, 1L)

/// n rows of 3 features and a 1-D target, different for each seed.
let private data (n: int64) (seed: uint64) =
    use g = new torch.Generator(seed)
    let x = torch.rand([| n; 3L |], generator = g, dtype = torch.ScalarType.Float64)
    new LabeledData(x, x.sum(1L, keepdim = true) + 0.5 * torch.randn([| n; 1L |], generator = g, dtype = torch.ScalarType.Float64))

let private fit seed = MCDropoutFitOptions(Epochs = 3, BatchSize = 8, LearningRate = 0.01, Seed = seed, LengthScale = 0.01)

/// log (1/T) Σ_t N(y; μ_t, σ²), averaged over the rows, in plain doubles.
let private mixtureLL (means: float[]) (t: int) (targets: float[]) (sigma: float) =
    let v = targets.Length
    [| for i in 0 .. v - 1 ->
        let logs = [| for k in 0 .. t - 1 ->
                        let r = targets[i] - means[k * v + i]
                        -0.5 * (r * r / (sigma * sigma) + log (sigma * sigma) + log (2.0 * Math.PI)) |]
        let m = Array.max logs
        m + log (logs |> Array.sumBy (fun l -> exp (l - m))) - log (float t) |]
    |> Array.average

[<Fact>]
let ``each set's choice is the rate and noise of the highest held-out mixture log-likelihood over that set's own grid`` () =
    engine ()
    use a = data 40L 1UL
    use b = data 40L 2UL
    let options = MCDropoutGridSearchOptions(fit 5L, DropoutRates = [| 0.05; 0.3 |], Samples = 7)
    use search = network().SearchMCDropout([| a; b |], options, cpu64)
    let grids : Collections.Generic.IReadOnlyList<float>[] = [| [| 0.2; 0.5; 1.0; 2.0 |]; [| 0.3; 0.7; 1.5 |] |]
    let chosen = search.Choose grids
    for set in 0 .. 1 do
        let heldOut = search.HeldOut set
        // A fifth of the 40 rows, each one of this set's own rows.
        Assert.Equal(8L, heldOut.Count)
        let own = values (if set = 0 then a.Inputs else b.Inputs) |> Array.chunkBySize 3
        for row in values heldOut.Inputs |> Array.chunkBySize 3 do
            Assert.Contains(row, own)
        let targets = values heldOut.Targets
        let candidates =
            [ for struct (s, rate, means) in search.HeldOutPredictives do
                if s = set then
                    for sigma in grids[set] -> rate, sigma, mixtureLL (values means) 7 targets sigma ]
        Assert.Equal(2 * grids[set].Count, candidates.Length)
        let rate, sigma, ll = candidates |> List.maxBy (fun (_, _, ll) -> ll)
        Assert.Equal(set, chosen[set].TrainingSet)
        Assert.Equal(rate, chosen[set].DropoutRate)
        Assert.Equal(sigma, chosen[set].NoiseSd)
        Assert.Equal(ll, chosen[set].ValidationLogLikelihood, 10)

[<Fact>]
let ``the refit is the replicated fit of the choices on the whole training sets with the seed plus two`` () =
    engine ()
    use a = data 30L 3UL
    use b = data 30L 4UL
    let options = MCDropoutGridSearchOptions(fit 9L, DropoutRates = [| 0.1 |], Samples = 3)
    use search = network().SearchMCDropout([| a; b |], options, cpu64)
    let choices = [| MCDropoutChoice(1, 0.2, 0.7, 0.0); MCDropoutChoice(0, 0.05, 1.3, 0.0) |]
    let refit = search.Refit choices
    let declare (p: float) (s: float) =
        network().WithLikelihood(Likelihoods.Gaussian s).WithVariational(VariationalFamily.Dropout p)
    let direct = SequentialBuilder.FitMCDropoutReplicas([| MCDropoutReplica(declare 0.2 0.7, b); MCDropoutReplica(declare 0.05 1.3, a) |],
                                                        fit 11L, cpu64)
    for mine, theirs in Seq.zip refit.Models direct.Models do
        let ws = mine.Network.parameters() |> Seq.map values |> Array.concat
        let vs = theirs.Network.parameters() |> Seq.map values |> Array.concat
        Assert.Equal<float[]>(vs, ws)
        Assert.Equal(BayesDL.Predictive.LikelihoodKind.Gaussian, mine.Network.Likelihood.Describe().Kind)
    for m in Seq.append refit.Models direct.Models do m.Dispose()

[<Fact>]
let ``on data with noise sd 0.3 the chosen noise sd is 0.3 within three standard errors of the held-out estimate`` () =
    engine ()
    // y = sin(3x) + 0.3 ε on 250 rows; 50 held out. An sd estimated from V = 50 residuals has standard error about σ/√(2V) =
    // 0.03, so the choice (grid step 0.01) lies within 0.3 ± (3 × 0.03 + 0.01) unless the scoring is wrong (a variance taken for
    // an sd picks the grid's lower edge, 0.1).
    let n = 250L
    use g = new torch.Generator(17UL)
    let x = torch.rand([| n; 1L |], generator = g, dtype = torch.ScalarType.Float64) * 2.0 - 1.0
    use rows = new LabeledData(x, (x * 3.0).sin() + 0.3 * torch.randn([| n; 1L |], generator = g, dtype = torch.ScalarType.Float64))
    let options = MCDropoutGridSearchOptions(MCDropoutFitOptions(Epochs = 300, BatchSize = 32, LearningRate = 0.01, Seed = 3L,
                                                                 LengthScale = 0.01),
                                             DropoutRates = [| 0.01; 0.05 |], Samples = 100)
    let net = ModelBuilder.Sequential().Linear(1L, 32L).Relu().Linear(32L, 1L)
    use search = net.SearchMCDropout([| rows |], options, cpu64)
    let chosen = search.Choose([| for i in 0 .. 90 -> 0.1 + 0.01 * float i |])[0]
    Assert.InRange(chosen.NoiseSd, 0.3 - 0.1, 0.3 + 0.1)

[<Fact>]
let ``bad settings and choices are refused naming the setting`` () =
    engine ()
    use a = data 20L 5UL
    let refused (name: string) (f: unit -> obj) =
        let e = Assert.ThrowsAny<ArgumentException>(fun () -> f () |> ignore)
        Assert.Contains(name, e.Message)
    let search (o: MCDropoutGridSearchOptions) = network().SearchMCDropout([| a |], o, cpu64) :> obj
    refused "'DropoutRates'" (fun () -> search (MCDropoutGridSearchOptions(fit 1L, DropoutRates = [||])))
    refused "'DropoutRates[1]'" (fun () -> search (MCDropoutGridSearchOptions(fit 1L, DropoutRates = [| 0.1; 1.0 |])))
    refused "'ValidationFraction'" (fun () -> search (MCDropoutGridSearchOptions(fit 1L, ValidationFraction = 0.0)))
    refused "'Samples'" (fun () -> search (MCDropoutGridSearchOptions(fit 1L, Samples = 0)))
    refused "trainingSets" (fun () -> network().SearchMCDropout([||], MCDropoutGridSearchOptions(fit 1L), cpu64) :> obj)
    use s = network().SearchMCDropout([| a |], MCDropoutGridSearchOptions(fit 1L, DropoutRates = [| 0.1 |], Samples = 2), cpu64)
    refused "noiseSds[0][1]" (fun () -> s.Choose([| 0.5; -1.0 |]) :> obj)
    refused "noiseSdsPerSet" (fun () -> s.Choose([| [| 0.5 |] :> Collections.Generic.IReadOnlyList<float>; [| 0.5 |] |]) :> obj)
    refused "choices[0].TrainingSet" (fun () -> s.Refit([| MCDropoutChoice(1, 0.1, 0.5, 0.0) |]) :> obj)
