/// Replicated MC dropout fits (SequentialBuilder.FitMCDropoutReplicas): K fits trained as one batched computation are each,
/// weight for weight, the fit FitMCDropout makes of that replica alone under the same masks, rows and initial weights; replicas
/// that do not fit together are refused naming the replica.
module BayesDL.Tests.Builders.MCDropoutReplicaTests

open System
open Xunit
open BayesDL.Builders
open BayesDL.Data
open BayesDL.Engine
open BayesDL.Layers
open BayesDL.Tests.TestSupport
open TorchSharp

let private rows = 24L

/// 24 rows of 4 features and a 1-D target, different for each seed.
let private data (seed: uint64) =
    use g = new torch.Generator(seed)
    new LabeledData(torch.rand([| rows; 4L |], generator = g, dtype = torch.ScalarType.Float64),
                    torch.randn([| rows; 1L |], generator = g, dtype = torch.ScalarType.Float64))

let private declaration (p: float) (sigma: float) =
    ModelBuilder.Sequential().Linear(4L, 16L).Relu().Linear(16L, 1L)
        .WithLikelihood(Likelihoods.Gaussian(sigma)).WithVariational(VariationalFamily.Dropout(p))

/// The 0/1 mask of layer position i, replica k, at the c-th call of that layer: the same whoever asks.
let private mask (i: int) (c: int) (k: int) (shape: int64[]) (keep: float) =
    use g = new torch.Generator(uint64 (100_000 * i + 100 * c + k + 1))
    torch.rand(shape, generator = g, dtype = torch.ScalarType.Float64).lt(torch.tensor keep).``to``(torch.ScalarType.Float64)

let private parameters (m: BuiltModel) = m.Network.parameters() |> Seq.map values |> Array.ofSeq

[<Fact>]
let ``each replica of a replicated fit is the fit of that replica alone under the same masks rows and initial weights`` () =
    engine ()
    let seed = 11L
    let settings = [ 0.3, 1.0, 41UL; 0.1, 0.5, 42UL; 0.05, 2.0, 43UL ]
    let replicas = settings |> List.map (fun (p, sigma, s) -> MCDropoutReplica(declaration p sigma, data s)) |> Array.ofList
    // 3 epochs of 3 steps; the length-scale prior on, so its per-replica coefficients l^2 (1 - p) / 2N are part of the loss.
    let options = MCDropoutFitOptions(Epochs = 3, BatchSize = 8, LearningRate = 0.01, Seed = seed, LengthScale = 1.5)
    let struct (fit, models) = MCDropoutReplicaFit.Create(replicas, options, cpu64)
    use _ = fit
    let calls = Collections.Generic.Dictionary<int, int>()
    fit.MaskSource <-
        Func<int, int64[], torch.Tensor, torch.Tensor>(fun i shape keep ->
            let c = match calls.TryGetValue i with | true, c -> c | _ -> 0
            calls[i] <- c + 1
            let keeps = values keep
            torch.stack([| for k in 0 .. keeps.Length - 1 -> mask i c k shape[1..] keeps[k] |]))
    fit.Train options |> ignore
    fit.CopyInto models
    let stacked = models |> Array.map parameters
    let initial = ResizeArray()
    for k, (p, sigma, s) in List.indexed settings do
        // Replica k alone: the weights seed + k gives, its rows in the replica's own order, each dropout layer given the masks
        // the replicated fit drew for replica k at that layer's position.
        NativeEngine.Seed(seed + int64 k)
        use alone = (declaration p sigma).Build cpu64
        initial.Add(parameters alone)
        use d = data s
        use order = MCDropoutReplicaFit.RowOrder(seed, k, rows)
        use permuted = new LabeledData(d.Inputs.index_select(0L, order), d.Targets.index_select(0L, order))
        let body = alone.Network.Body.named_children() |> Seq.map (fun struct (_, m) -> m) |> Array.ofSeq
        for i, layer in Array.indexed body do
            match layer with
            | :? MCDropout as dropout ->
                let mutable c = 0
                dropout.MaskSource <- Func<int64[], torch.Tensor>(fun shape ->
                    let m = mask i c k shape (1.0 - dropout.P)
                    c <- c + 1
                    m)
            | _ -> ()
        alone.FitMCDropout(permuted, options) |> ignore
        let own = parameters alone
        Assert.Equal(own.Length, stacked[k].Length)
        for j in 0 .. own.Length - 1 do
            Assert.Equal(own[j].Length, stacked.[k].[j].Length)
            for e in 0 .. own[j].Length - 1 do
                Assert.Equal(own.[j].[e], stacked.[k].[j].[e], 10)
        // Training moved the weights: the equality is not that of untouched copies.
        Assert.NotEqual<float[][]>(initial[k], own)
    // Replicas differ from each other (their rates, noise and rows), so no replica's weights stand in for another's.
    Assert.NotEqual<float[][]>(stacked[0], stacked[1])
    for m in models do m.Dispose()

[<Fact>]
let ``replicas that do not fit together are refused naming the replica and what differs`` () =
    engine ()
    use d24 = data 1UL
    use d12 = new LabeledData(d24.Inputs.narrow(0L, 0L, 12L), d24.Targets.narrow(0L, 0L, 12L))
    let fitted (replicas: MCDropoutReplica list) (options: MCDropoutFitOptions) =
        Assert.ThrowsAny<ArgumentException>(fun () ->
            SequentialBuilder.FitMCDropoutReplicas(Array.ofList replicas, options, cpu64) |> ignore)
    let ok = MCDropoutReplica(declaration 0.1 1.0, d24)
    let rowsError = fitted [ ok; MCDropoutReplica(declaration 0.1 1.0, d12) ] (MCDropoutFitOptions())
    Assert.Contains("replicas[1].Data", rowsError.Message)
    Assert.Contains("12 rows", rowsError.Message)
    let learned =
        ModelBuilder.Sequential().Linear(4L, 16L).Relu().Linear(16L, 1L)
            .WithLikelihood(Likelihoods.GaussianLearned()).WithVariational(VariationalFamily.Dropout(0.1))
    let noiseError = fitted [ ok; MCDropoutReplica(learned, d24) ] (MCDropoutFitOptions())
    Assert.Contains("replicas[1].Model", noiseError.Message)
    Assert.Contains("fixed noise", noiseError.Message)
    let wider = ModelBuilder.Sequential().Linear(4L, 8L).Relu().Linear(8L, 1L)
                    .WithLikelihood(Likelihoods.Gaussian(1.0)).WithVariational(VariationalFamily.Dropout(0.1))
    let shapeError = fitted [ ok; MCDropoutReplica(wider, d24) ] (MCDropoutFitOptions())
    Assert.Contains("replicas[1]", shapeError.Message)
    let alphaError = fitted [ ok ] (MCDropoutFitOptions(Alpha = 0.5))
    Assert.Contains("Alpha", alphaError.Message)
    let emptyError = fitted [] (MCDropoutFitOptions())
    Assert.Contains("replicas", emptyError.Message)
