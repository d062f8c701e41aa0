module BayesDL.Tests.Metrics.DatasetShiftTests

open System.IO
open Xunit
open TorchSharp
open BayesDL.Engine
open BayesDL.Data
open BayesDL.Inference
open BayesDL.Metrics
open BayesDL.Plotting
open BayesDL.Tests.TestSupport

type Module = torch.nn.Module<torch.Tensor, torch.Tensor>

[<Fact>]
let ``the shift evaluation scores each rotation like the metrics do and writes one plot per metric`` () =
    engine ()
    NativeEngine.Seed 51L
    let members = [ for _ in 1..2 -> torch.nn.Linear(784L, 10L) :> Module ]
    let ensemble = DeepEnsemble(members)
    use data = new LabeledData(torch.rand(40L, 784L), torch.randint(10L, [| 40L |]))
    use noise = torch.rand(30L, 784L)
    let angles = [| 0.0; 90.0 |]
    let curve = DatasetShift.Evaluate("ens", ensemble, 2, data, noise, angles)
    Assert.Equal<float[]>(angles, curve.Angles)
    use clean = ensemble.Predict(data.Inputs)
    use rotatedInputs = ImageRotation.Rotate(data.Inputs, 90.0)
    use rotated = ensemble.Predict(rotatedInputs)
    use p0 = clean.Mean()
    use p90 = rotated.Mean()
    Assert.Equal(ClassificationMetrics.Accuracy(p0, data.Targets), curve.Accuracy[0], 12)
    Assert.Equal(ClassificationMetrics.NegativeLogLikelihood(p90, data.Targets), curve.Nll[1], 5)
    Assert.Equal(ClassificationMetrics.BrierScore(p90, data.Targets), curve.Brier[1], 5)
    Assert.Equal(ReliabilityDiagram.Compute(p0, data.Targets, 15).ExpectedCalibrationError, curve.Ece[0], 12)
    Assert.Equal(scalar (clean.PredictiveEntropy().mean()), curve.Entropy[0], 6)
    use ood = ensemble.Predict(noise)
    Assert.Equal(DatasetShift.OodAuroc(clean, ood), curve.OodAuroc, 12)
    use dir = new TempDir()
    let paths = ShiftPlots.Save([| curve; ShiftCurve("copy", curve.Angles, curve.Accuracy, curve.Nll, curve.Brier, curve.Ece,
                                                     curve.Entropy, curve.OodAuroc) |], dir.Path)
    Assert.Equal(5, paths.Count)
    for KeyValue(_, path) in paths do
        Assert.True(File.Exists path && FileInfo(path).Length > 1000L, path)
