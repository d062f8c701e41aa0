module BayesDL.Tests.Training.TrainerTests

open System
open Xunit
open TorchSharp
open BayesDL.Data
open BayesDL.Engine
open BayesDL.Layers
open BayesDL.Models
open BayesDL.Objectives
open BayesDL.Training
open BayesDL.Tests.TestSupport
open BayesDL.Predictive

let private setup () =
    engineOneThread ()

let private classifier seed =
    NativeEngine.Seed seed
    BayesianNetwork.Create(Likelihood.Categorical(), BayesNN.BayesLinear(2L, 16L), torch.nn.ReLU(), BayesNN.BayesLinear(16L, 2L))

let private blobs n =
    NativeEngine.Seed 8L
    let y = torch.randint(2L, [| int64 n |], dtype = torch.ScalarType.Int64)
    let x = torch.randn(int64 n, 2L) * 0.5 + (y.to_type(torch.ScalarType.Float32) * 3.0 - 1.5).unsqueeze(1)
    new LabeledData(x, y)

[<Fact>]
let ``training separates two blobs, is reproducible with a seed, and reports every epoch`` () =
    setup ()
    use data = blobs 200
    let run () =
        let model = classifier 1L
        let seen = ResizeArray()
        let h = Trainer(TrainerOptions(Epochs = 8, BatchSize = 32, LearningRate = 0.02, Seed = 3L))
                    .Fit(model, data, onEpoch = fun e -> seen.Add e.Epoch)
        model, h, List.ofSeq seen
    let model, h1, seen = run ()
    let _, h2, _ = run ()
    Assert.Equal<int list>([ 1 .. 8 ], seen)
    Assert.Equal<float list>(h1 |> Seq.map (fun e -> e.MeanLoss) |> List.ofSeq, h2 |> Seq.map (fun e -> e.MeanLoss) |> List.ofSeq)
    Assert.True(h1[7].MeanLoss < h1[0].MeanLoss)
    use p = model.Predict(data.Inputs, 20)
    Assert.True(BayesDL.Metrics.ClassificationMetrics.Accuracy(p.Mean(), data.Targets) > 0.95)

[<Fact>]
let ``a NaN loss stops training naming the step and the last finite loss`` () =
    setup ()
    use clean = blobs 40
    let x = clean.Inputs.clone()
    x[25L, 0L] <- torch.tensor(nan, dtype = torch.ScalarType.Float32)
    use data = new LabeledData(x, clean.Targets.clone())
    let steps = ResizeArray<float>()
    let e = Assert.Throws<TrainingDivergedException>(fun () ->
        Trainer(TrainerOptions(Epochs = 2, BatchSize = 10, Shuffle = false))
            .Fit(classifier 1L, data, onStep = fun s -> steps.Add s.Loss) |> ignore)
    // Row 25 is in the third minibatch of the first epoch.
    Assert.Contains("at step 3 (epoch 1, minibatch 3 of 4)", e.Message)
    Assert.Equal(2, steps.Count)
    Assert.Contains(sprintf "last finite loss was %s" (steps[1].ToString("G6")), e.Message)
    Assert.Equal((3L, 1), (e.Step, e.Epoch))
    Assert.True(Double.IsNaN e.Loss)

[<Fact>]
let ``bad trainer settings are refused`` () =
    let e = Assert.Throws<ArgumentException>(fun () -> Trainer(TrainerOptions(Epochs = 0)) |> ignore)
    Assert.Contains("Epochs", e.Message)
    Assert.Throws<ArgumentException>(fun () -> Trainer(TrainerOptions(LearningRate = -1.0)) |> ignore) |> ignore
    Assert.Throws<ArgumentException>(fun () -> Trainer(TrainerOptions(BatchSize = 0)) |> ignore) |> ignore

/// Plain SGD on L(p) = |p|^2 / 2 (gradient p) moves p to p (1 - eta_t) per step, so after the run p = p_0 prod_t (1 - eta_t):
/// the product says whether every step used the rate the schedule gives it.
let private sgdOnQuadratic (schedule: LearningRateSchedule) =
    use p = new TorchSharp.Modules.Parameter(torch.ones(1L, dtype = torch.ScalarType.Float64))
    let rates = ResizeArray()
    // 5 rows in batches of 2: 3 steps per epoch, 4 epochs, 12 steps.
    Trainer(TrainerOptions(Epochs = 4, BatchSize = 2, Optimizer = OptimizerKind.Sgd, LearningRate = 0.2, Schedule = schedule))
        .Fit([ p ], 5L, (fun _ _ -> (p * p).sum() * 0.5), onStep = fun s -> rates.Add s.LearningRate) |> ignore
    scalar p, List.ofSeq rates

[<Fact>]
let ``a learning-rate schedule sets every step's rate: constant, step decay every 2 epochs, cosine to 0.1 of the base, decay`` () =
    setup ()
    let expectedStep = [ for t in 0 .. 11 -> 0.2 * 0.5 ** float (t / 3 / 2) ]
    let expectedCosine = [ for t in 0 .. 11 -> 0.2 * (0.1 + (1.0 - 0.1) * (1.0 + cos (Math.PI * float t / 12.0)) / 2.0) ]
    let expectedDecay = [ for t in 0 .. 11 -> 0.2 * (1.0 + float t / 4.0) ** -0.55 ]
    for schedule, expected in
        [ LearningRateSchedule.Constant, List.replicate 12 0.2
          LearningRateSchedule.Step(2, 0.5), expectedStep
          LearningRateSchedule.Cosine(0.1), expectedCosine
          LearningRateSchedule.Decay(4.0, 0.55), expectedDecay ] do
        let final, rates = sgdOnQuadratic schedule
        Assert.Equal<float list>(expected, rates)
        let product = expected |> List.fold (fun acc eta -> acc * (1.0 - eta)) 1.0
        Assert.True(abs (final - product) < 1e-12, sprintf "%O: p = %g, expected %g" schedule final product)

[<Fact>]
let ``bad schedule settings are refused naming the parameter`` () =
    Assert.Contains("everyEpochs", (Assert.Throws<ArgumentException>(fun () -> LearningRateSchedule.Step(0, 0.5) |> ignore)).Message)
    Assert.Contains("factor", (Assert.Throws<ArgumentException>(fun () -> LearningRateSchedule.Step(1, 1.5) |> ignore)).Message)
    Assert.Contains("minimumFactor", (Assert.Throws<ArgumentException>(fun () -> LearningRateSchedule.Cosine(-0.1) |> ignore)).Message)
    Assert.Contains("offsetSteps", (Assert.Throws<ArgumentException>(fun () -> LearningRateSchedule.Decay(0.0, 1.0) |> ignore)).Message)
    Assert.Contains("(0.5, 1]", (Assert.Throws<ArgumentException>(fun () -> LearningRateSchedule.Decay(10.0, 0.5) |> ignore)).Message)

[<Fact>]
let ``step reports give the batch position and the live parameters, so iterates can be collected at each epoch's end`` () =
    setup ()
    use data = blobs 40
    use model = classifier 1L
    let positions = ResizeArray()
    let epochEnds = ResizeArray()
    Trainer(TrainerOptions(Epochs = 3, BatchSize = 16, LearningRate = 0.02, Seed = 3L)).Fit(model, data, onStep = fun s ->
        positions.Add((s.Step, s.Epoch, s.BatchIndex, s.BatchesPerEpoch))
        if s.EndsEpoch then epochEnds.Add(s.Parameters |> Seq.map values |> Array.ofSeq)) |> ignore
    Assert.Equal<(int64 * int * int * int) list>([ for e in 1 .. 3 do for b in 0 .. 2 -> (int64 ((e - 1) * 3 + b + 1), e, b, 3) ],
                                                 List.ofSeq positions)
    Assert.Equal(3, epochEnds.Count)
    // The last epoch's end is the trained model; earlier ends differ from it (training moved the weights).
    Assert.Equal<float[][]>(model.parameters() |> Seq.map values |> Array.ofSeq, epochEnds[2])
    Assert.NotEqual<float[][]>(epochEnds[1], epochEnds[2])

[<Fact>]
let ``native tensors stay constant across epochs: no per-epoch tensor outlives its epoch`` () =
    // Live tensors counted at each epoch's end (inside the loop): a tensor made once per epoch and never disposed would
    // raise the count by one each epoch (the shuffled order once did, through `to` returning a new handle).
    setup ()
    let data = blobs 64
    use model = classifier 2L
    let live = Collections.Generic.List<int64>()
    Trainer(TrainerOptions(Epochs = 6, BatchSize = 16, Seed = 4L)).Fit(model, data, onEpoch = fun _ ->
        GC.Collect()
        GC.WaitForPendingFinalizers()
        live.Add DisposeScopeManager.Statistics.ThreadTotalLiveCount) |> ignore
    Assert.True(live |> Seq.distinct |> Seq.length = 1, sprintf "live tensors by epoch: %A" (List.ofSeq live))

[<Fact>]
let ``a parameter the loss stops reaching takes no further step`` () =
    setup ()
    use a = new TorchSharp.Modules.Parameter(torch.ones(3L, dtype = torch.ScalarType.Float64))
    use b = new TorchSharp.Modules.Parameter(torch.ones(3L, dtype = torch.ScalarType.Float64))
    let afterFirst = ResizeArray<torch.Tensor>()
    // b is in the loss of the first step only. Its gradients are freed, not zeroed, so Adam has no gradient to step it with
    // afterwards; with zeroed gradients its first moment would keep moving it (by about lr * 0.9^k at step k + 1).
    let loss (_: torch.Tensor) (position: BatchPosition) =
        let la = (a - 2.0).square().sum()
        if position.GlobalStep = 0L then la + (b - 2.0).square().sum() else la
    Trainer(TrainerOptions(Epochs = 3, BatchSize = 4, LearningRate = 0.1, Seed = 1L))
        .Fit([ a; b ], 8L, loss, onStep = fun (s: StepReport) ->
            if s.Step = 1L then afterFirst.Add(b.detach().clone().DetachFromDisposeScope()))
    |> ignore
    Assert.True(scalar (afterFirst[0].mean()) > 1.05, "b took its first step")
    Assert.True(b.equal(afterFirst[0]).all().item<bool>(), "b moved after the step whose loss reached it")
    Assert.True(scalar (a.mean()) > 1.4, "a kept training")
