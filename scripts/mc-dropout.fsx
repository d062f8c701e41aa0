// "I am not really sure": MC dropout (Gal & Ghahramani 2016). A dropout MLP trained on MNIST keeps dropout on at
// test time; T stochastic passes give a predictive distribution whose entropy and mutual information (BALD) grow
// as the test digits are rotated away from anything seen in training. Writes artifacts/scripts/mc-dropout-fsx.png.
#load "references.fsx"
open System.IO
open BayesDL.Data
open BayesDL.Dsl
open BayesDL.Engine
open TorchSharp

let policy = ComputePolicy.Cpu
NativeEngine.Seed 2026L
let dataDir = Path.Combine(__SOURCE_DIRECTORY__, "..", "data")
let train = Mnist.LoadSubset("train", dataDir, policy)
let test = Mnist.LoadSubset("test", dataDir, policy)
let rows (n: int64) (d: LabeledData) = new LabeledData(d.Inputs.narrow(0L, 0L, n), d.Targets.narrow(0L, 0L, n))
let trainSet = if References.quick then rows 1000L train else train
let testSet = rows (if References.quick then 200L else 1000L) test
// With the length-scale prior (weight decay l^2 (1 - p) / (2N)); the benchmarks add `alpha 0.5; trainingMasks 10`.
let settings =
    mcDropout {
        samples (if References.quick then 10 else 100)
        epochs (if References.quick then 1 else 5)
        learningRate 1e-3
        lengthScale 1.5
    }

let fitted =
    model {
        network (linear 784L 256L >> Activation.relu >> linear 256L 10L)
        likelihood categorical
        variational (dropout 0.5)
    }
    |> Model.fitMCDropout settings policy trainSet
    |> Result.defaultWith (fun e -> failwith e.Message)
printfn "trained %d epochs in %.1f s, last mean loss %.3f" fitted.Epochs.Length (fitted.Epochs |> List.sumBy (fun e -> e.Seconds))
    (List.last fitted.Epochs).MeanLoss

let mean (t: torch.Tensor) = t.mean().item<float32>() |> float
let angles = [ 0.0 .. 30.0 .. 180.0 ]
printfn "%8s %10s %12s %12s" "angle" "accuracy" "entropy" "mutual inf."
let table =
    [ for angle in angles ->
        use scope = torch.NewDisposeScope()
        let images = ImageRotation.Rotate(testSet.Inputs, angle)
        use p = fitted.Model.Predict(images, settings.Samples)
        let accuracy = mean (p.PredictedClass().eq(testSet.Targets).to_type(torch.ScalarType.Float32))
        let entropy, mi = mean (p.PredictiveEntropy()), mean (p.MutualInformation())
        printfn "%8.0f %10.3f %12.3f %12.3f" angle accuracy entropy mi
        angle, entropy, mi ]

// One digit, upright and on its side: the network's confidence and its doubt.
for angle in [ 0.0; 90.0 ] do
    use p = fitted.Model.Predict(ImageRotation.Rotate(testSet.Inputs.narrow(0L, 0L, 1L), angle), settings.Samples)
    let probs = p.Mean().squeeze 0L
    let best = probs.argmax().item<int64>()
    printfn "digit %d at %3.0f deg: predicts %d with p = %.2f, entropy %.2f nats, mutual information %.2f"
        (testSet.Targets[0L].item<int64>()) angle best (probs[best].item<float32>()) (mean (p.PredictiveEntropy()))
        (mean (p.MutualInformation()))

let plot = new ScottPlot.Plot()
let xs = table |> List.map (fun (a, _, _) -> a) |> Array.ofList
plot.Add.ScatterLine(xs, table |> List.map (fun (_, e, _) -> e) |> Array.ofList).LegendText <- "predictive entropy"
plot.Add.ScatterLine(xs, table |> List.map (fun (_, _, m) -> m) |> Array.ofList).LegendText <- "mutual information (epistemic)"
plot.Title "MC dropout on rotated MNIST digits"
plot.XLabel "rotation (degrees)"
plot.YLabel "nats"
plot.ShowLegend() |> ignore
let png = References.artifact "mc-dropout-fsx.png"
plot.SavePng(png, 800, 500) |> ignore
printfn "wrote %s" png
