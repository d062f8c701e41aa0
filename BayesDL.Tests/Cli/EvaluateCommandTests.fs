/// `bayesdl evaluate`, run in-process: a tiny saved model scored on tiny IDX files reports the metrics the core computes
/// directly, and unusable input exits non-zero with a message naming the option and its value.
module BayesDL.Tests.Cli.EvaluateCommandTests

open System
open System.IO
open System.IO.Compression
open System.Text.Json
open Xunit
open BayesDL.Builders
open BayesDL.Cli
open BayesDL.Data
open BayesDL.Engine
open BayesDL.Metrics
open BayesDL.Models
open BayesDL.Tests.TestSupport
open BayesDL.Tests.Cli.CliSupport
open Spectre.Console
open TorchSharp

[<Fact>]
let ``evaluate reports the accuracy and scores the core computes for the same seed`` () =
    engine ()
    use dir = new TempDir()
    let modelPath, images, labels = fixture dir
    let code, output = run [ "evaluate"; modelPath; "--images"; images; "--labels"; labels; "--samples"; "30"; "--seed"; "5"; "--json" ]
    Assert.True((code = 0), output)
    use json = JsonDocument.Parse(output.Trim())
    let reported (name: string) = json.RootElement.GetProperty(name).GetDouble()
    // The same computation done directly: same loaders, same model file, same seed, T = 30.
    use data = Mnist.Load(images, labels, ComputePolicy.Default)
    use network = ModelFile.Load(modelPath, ComputePolicy.Default)
    NativeEngine.Seed 5L
    use predictive = network.Predict(data.Inputs, 30)
    use mean = predictive.Mean()
    Assert.Equal(ClassificationMetrics.Accuracy(mean, data.Targets), reported "accuracy")
    Assert.Equal(ClassificationMetrics.NegativeLogLikelihood(mean, data.Targets), reported "nll")
    Assert.Equal(ClassificationMetrics.BrierScore(mean, data.Targets), reported "brier")
    Assert.Equal(ReliabilityDiagram.Compute(mean, data.Targets, 15).ExpectedCalibrationError, reported "ece")
    Assert.Equal(40.0, reported "count")
    Assert.Equal(30.0, reported "samples")
    // The table shows the same accuracy, to 6 decimals.
    let tableCode, table = run [ "evaluate"; modelPath; "--images"; images; "--labels"; labels; "--samples"; "30"; "--seed"; "5" ]
    Assert.Equal(0, tableCode)
    Assert.Contains((reported "accuracy").ToString("F6", Globalization.CultureInfo.InvariantCulture), table)
    Assert.Contains("mean mutual information", table)

/// Runs evaluate with `args` after the model and asserts exit code 2 (bad input) with output holding every `expected` fragment.
let private expectFailure (modelPath: string) (args: string list) (expected: string list) =
    let code, output = run ("evaluate" :: modelPath :: args)
    Assert.True((code = ExitCodes.Usage), sprintf "expected exit code 2 for %A, got %d:\n%s" args code output)
    for fragment in expected do
        Assert.Contains(fragment, output)

[<Fact>]
let ``evaluate refuses bad input with a message naming the option and its value`` () =
    engine ()
    use dir = new TempDir()
    let modelPath, images, labels = fixture dir
    expectFailure modelPath [ "--images"; images; "--labels"; labels; "--samples"; "0" ] [ "--samples 0" ]
    let missing = dir.File "missing-images.gz"
    expectFailure modelPath [ "--images"; missing; "--labels"; labels ] [ "--images " + missing; "not found" ]
    expectFailure (dir.File "nope.bnn") [ "--images"; images; "--labels"; labels ] [ "MODEL"; "nope.bnn" ]
    // Images of 5x5 = 25 pixels for a model whose first layer takes 16 inputs.
    let wide = dir.File "wide-idx3-ubyte"
    writeIdx wide [ 40; 5; 5 ] (Array.zeroCreate (40 * 25)) false
    expectFailure modelPath [ "--images"; wide; "--labels"; labels ] [ "--images " + wide; "25"; "16" ]
    // Files with no images at all.
    let noImages, noLabels = dir.File "empty-images-idx3-ubyte", dir.File "empty-labels-idx1-ubyte"
    writeIdx noImages [ 0; 4; 4 ] [||] false
    writeIdx noLabels [ 0 ] [||] false
    expectFailure modelPath [ "--images"; noImages; "--labels"; noLabels ] [ "--images " + noImages; "no images" ]
    // A file that is not a model.
    let garbage = dir.File "garbage.bnn"
    File.WriteAllText(garbage, "not a model at all")
    expectFailure garbage [ "--images"; images; "--labels"; labels ] [ "MODEL " + garbage; "not a BayesDL model file" ]
    // Labels the 3-class model cannot predict.
    let badLabels = dir.File "bad-labels-idx1-ubyte"
    writeIdx badLabels [ 40 ] (Array.create 40 7uy) false
    expectFailure modelPath [ "--images"; images; "--labels"; badLabels ] [ "--labels " + badLabels; "label 7"; "3 classes" ]

[<Fact>]
let ``evaluate reads CSV images with labels in their own file or in the last column, and scores them like the core`` () =
    engine ()
    use dir = new TempDir()
    let modelPath, _, _ = fixture dir
    let rng = Random 9
    let rows = Array.init 30 (fun _ -> Array.init 16 (fun _ -> rng.NextDouble()), rng.Next 3)
    let number (v: float) = v.ToString("R", Globalization.CultureInfo.InvariantCulture)
    let header = String.Join(",", Array.init 16 (sprintf "p%d"))
    let images, labels, both = dir.File "images.csv", dir.File "labels.csv", dir.File "both.csv"
    File.WriteAllLines(images, Array.append [| header |] (rows |> Array.map (fun (x, _) -> String.Join(",", Array.map number x))))
    File.WriteAllLines(labels, Array.append [| "label" |] (rows |> Array.map (fun (_, y) -> string y)))
    let line (x, y) = String.Join(",", Array.map number x) + "," + string y
    File.WriteAllLines(both, Array.append [| header + ",label" |] (rows |> Array.map line))
    let accuracy (args: string list) =
        let code, output = run ([ "evaluate"; modelPath ] @ args @ [ "--samples"; "20"; "--seed"; "3"; "--json" ])
        Assert.True((code = 0), output)
        use json = JsonDocument.Parse(output.Trim())
        json.RootElement.GetProperty("accuracy").GetDouble()
    let separate = accuracy [ "--images"; images; "--labels"; labels ]
    Assert.Equal(separate, accuracy [ "--images"; both ])
    // Directly: the same CSV loaded by the core, the same seed and T.
    use table = CsvTable.Load(both, policy = ComputePolicy.Default)
    use network = ModelFile.Load(modelPath, ComputePolicy.Default)
    NativeEngine.Seed 3L
    use predictive = network.Predict(table.Inputs, 20)
    use mean = predictive.Mean()
    use targets = table.Targets.squeeze(1L).to_type(torch.ScalarType.Int64)
    Assert.Equal(ClassificationMetrics.Accuracy(mean, targets), separate)
    // A label that is not a class index is named with its file.
    let fractional = dir.File "fractional.csv"
    File.WriteAllLines(fractional, Array.append [| "label" |] (rows |> Array.mapi (fun i (_, y) -> if i = 4 then "1.5" else string y)))
    expectFailure modelPath [ "--images"; images; "--labels"; fractional ] [ "--labels " + fractional; "label 1.5" ]

[<Fact>]
let ``evaluate gives a convolutional model its IDX images as [N, 1, rows, cols] and refuses a regression model`` () =
    engine ()
    use dir = new TempDir()
    let _, images, labels = fixture dir
    NativeEngine.Seed 4L
    use conv =
        ModelBuilder.Sequential().Input(1L, 4L, 4L).BayesConv2d(1L, 2L, 3L).Relu().Flatten().BayesLinear(8L, 3L)
            .WithLikelihood(Likelihoods.Categorical()).Build(ComputePolicy.Default)
    let convPath = dir.File "conv.bnn"
    ModelFile.Save(conv.Network, convPath)
    let code, output = run [ "evaluate"; convPath; "--images"; images; "--labels"; labels; "--samples"; "10"; "--seed"; "8"; "--json" ]
    Assert.True((code = 0), output)
    use json = JsonDocument.Parse(output.Trim())
    use data = Mnist.Load(images, labels, ComputePolicy.Default)
    use network = ModelFile.Load(convPath, ComputePolicy.Default)
    NativeEngine.Seed 8L
    use predictive = network.Predict(data.Inputs.reshape(40L, 1L, 4L, 4L), 10)
    use mean = predictive.Mean()
    Assert.Equal(ClassificationMetrics.Accuracy(mean, data.Targets), json.RootElement.GetProperty("accuracy").GetDouble())
    // A Gaussian-likelihood model has no classes to score.
    use regression =
        ModelBuilder.Sequential().BayesLinear(16L, 1L).WithLikelihood(Likelihoods.Gaussian 0.1).Build(ComputePolicy.Default)
    let regressionPath = dir.File "regression.bnn"
    ModelFile.Save(regression.Network, regressionPath)
    expectFailure regressionPath [ "--images"; images; "--labels"; labels ] [ "MODEL " + regressionPath; "regression" ]

[<Fact>]
let ``evaluate scores a deep ensemble's model file with one draw per member; a VAE is refused naming its kind`` () =
    engine ()
    use dir = new TempDir()
    let _, images, labels = fixture dir
    let ensemble = dir.File "ens.bnn"
    let train (args: string list) =
        let code, text = run ([ "train"; "--images"; images; "--labels"; labels; "--epochs"; "1"; "--quiet" ] @ args)
        Assert.True((code = ExitCodes.Success), text)
    train [ "--method"; "ensemble"; "--members"; "3"; "--network"; "16-8-3"; "--seed"; "4"; "--output"; ensemble ]
    let code, output = run [ "evaluate"; ensemble; "--images"; images; "--labels"; labels; "--json" ]
    Assert.True((code = 0), output)
    use json = JsonDocument.Parse(output.Trim())
    let reported (name: string) = json.RootElement.GetProperty(name).GetDouble()
    // The same scores from the core: the loaded ensemble's three members on the same images.
    let loaded = ModelFile.LoadEnsemble(ensemble, ComputePolicy.Default)
    use data = Mnist.Load(images, labels, ComputePolicy.Default)
    use predictive = loaded.Predict data.Inputs
    let scores = PredictiveScores.Compute(predictive, data.Targets, 15)
    Assert.Equal(3.0, reported "samples")
    Assert.Equal(scores.Accuracy, reported "accuracy")
    Assert.Equal(scores.NegativeLogLikelihood, reported "nll")
    Assert.Equal(scores.MeanMutualInformation, reported "mean_mutual_information")
    Assert.True(reported "mean_mutual_information" > 0.0, "three members disagree somewhere")
    let vae = dir.File "vae.bnn"
    train [ "--method"; "vae"; "--network"; "16-8-2"; "--output"; vae ]
    expectFailure vae [ "--images"; images; "--labels"; labels ] [ "MODEL " + vae; "kind Vae"; "bayesdl sample" ]
