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
        let h = Trainer(TrainerOptions(Epochs = 8, BatchSize = 32, LearningRate = 0.02, Seed = 3L)).Fit(model, data, onEpoch = fun e -> seen.Add e.Epoch)
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
        Trainer(TrainerOptions(Epochs = 2, BatchSize = 10, Shuffle = false)).Fit(classifier 1L, data, onStep = fun s -> steps.Add s.Loss) |> ignore)
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
