/// `bayesdl predict`: per-row predictions with the core's uncertainty decomposition, as CSV or JSON, for model files and ensembles.
module BayesDL.Tests.Cli.PredictCommandTests

open System
open System.Globalization
open System.IO
open System.Text.Json
open Xunit
open TorchSharp
open BayesDL.Cli
open BayesDL.Engine
open BayesDL.Models
open BayesDL.Tests.TestSupport
open BayesDL.Tests.Cli.CliSupport

/// The CSV a command printed: header names and rows of numbers.
let private parseCsv (text: string) =
    let lines = text.Trim().Split('\n') |> Array.map (fun l -> l.Trim())
    let header = lines[0].Split ','
    header, lines[1..] |> Array.map (fun l -> l.Split ',' |> Array.map (fun v -> Double.Parse(v, CultureInfo.InvariantCulture)))

let private column (header: string[]) (rows: float[][]) (name: string) =
    let i = Array.IndexOf(header, name)
    Assert.True(i >= 0, sprintf "no column %s in %A" name header)
    rows |> Array.map (fun r -> r[i])

let private close (expected: float[]) (actual: float[]) (what: string) =
    Assert.Equal(expected.Length, actual.Length)
    for i in 0 .. expected.Length - 1 do
        Assert.True(abs (expected[i] - actual[i]) <= 1e-6, sprintf "%s row %d: expected %g, printed %g" what i expected[i] actual[i])

[<Fact>]
let ``predict prints each row's class probabilities, entropy and the core's aleatoric and epistemic parts`` () =
    engine ()
    use dir = new TempDir()
    let model, images, _ = fixture dir
    let code, out, err = runStreams [ "predict"; model; "--input"; images; "--samples"; "20"; "--seed"; "3" ]
    Assert.True((code = ExitCodes.Success), err)
    let header, rows = parseCsv out
    Assert.Equal<string[]>(
        [| "row"; "class"; "p0"; "p1"; "p2"; "predictive_entropy"; "aleatoric_expected_entropy"; "epistemic_mutual_information" |],
        header)
    Assert.Equal(40, rows.Length)
    // The same predictive from the core: the loaded model, the same images (pixels / 255) and seed.
    use network = ModelFile.Load(model, ComputePolicy.Default)
    let pixels =
        use reader = BayesDL.Data.IdxReader.Open(images, 3)
        let bytes = Array.zeroCreate<byte> (40 * 16)
        reader.ReadRecords(Span bytes, 40)
        bytes
    use inputs = torch.tensor(pixels).reshape(40L, 16L).to_type(torch.ScalarType.Float32).div(255.0.ToScalar())
    NativeEngine.Seed 3L
    use p = network.Predict(inputs, 20)
    use mean = p.Mean()
    for k in 0 .. 2 do
        close (values (mean.select(1, int64 k))) (column header rows (sprintf "p%d" k)) (sprintf "p%d" k)
    close (values (p.PredictiveEntropy())) (column header rows "predictive_entropy") "predictive entropy"
    close (values (p.ExpectedEntropy())) (column header rows "aleatoric_expected_entropy") "expected entropy"
    close (values (p.MutualInformation())) (column header rows "epistemic_mutual_information") "mutual information"
    close (values (p.PredictedClass().to_type(torch.ScalarType.Float64))) (column header rows "class") "class"

/// Population mean and sd of a column, computed here (not by the library), as the standardisation of the regression protocol does.
let private meanSd (xs: float[]) =
    let m = Array.average xs
    m, sqrt (Array.averageBy (fun x -> (x - m) ** 2.0) xs)

/// |expected - actual| within float32 rounding of a few operations, relative to the value's size.
let private closeRelative (expected: float[]) (actual: float[]) (what: string) =
    Assert.Equal(expected.Length, actual.Length)
    for i in 0 .. expected.Length - 1 do
        Assert.True(abs (expected[i] - actual[i]) <= 1e-5 * max 1.0 (abs expected[i]),
                    sprintf "%s row %d: expected %g, printed %g" what i expected[i] actual[i])

[<Fact>]
let ``predict on a regression model standardises the rows and gives mean, E[sigma^2] and Var[mu] back on the target's scale`` () =
    engine ()
    use dir = new TempDir()
    let rng = Random 4
    let train, query = dir.File "train.csv", dir.File "query.csv"
    // Inputs and target far from mean 0, sd 1, so that forgetting either map (forward or back) changes every number.
    let rows = Array.init 30 (fun _ -> let a, b = 10.0 * rng.NextDouble(), 100.0 + rng.NextDouble() in a, b, 50.0 + 20.0 * (a - b + 100.0))
    let format (a: float, b: float, y: float) = String.Format(CultureInfo.InvariantCulture, "{0:R},{1:R},{2:R}", a, b, y)
    File.WriteAllLines(train, "a,b,y" :: [ for r in rows -> format r ])
    File.WriteAllLines(query, [ "a,b"; "5,100.5"; "30,98"; "0,100" ])
    let model = dir.File "reg.bnn"
    let code, text =
        run [ "train"; "--csv"; train; "--target"; "y"; "--task"; "regression"; "--network"; "2-8-2"; "--epochs"; "1"
              "--output"; model; "--quiet" ]
    Assert.True((code = ExitCodes.Success), text)
    // The file keeps the training rows' statistics.
    let (ma, sa), (mb, sb), (my, sy) =
        meanSd (rows |> Array.map (fun (a, _, _) -> a)),
        meanSd (rows |> Array.map (fun (_, b, _) -> b)),
        meanSd (rows |> Array.map (fun (_, _, y) -> y))
    let scaling = ModelFile.StandardizationOf model
    Assert.NotNull scaling
    let stored =
        [ ma, scaling.InputMean[0]; sa, scaling.InputScale[0]; mb, scaling.InputMean[1]; sb, scaling.InputScale[1]
          my, scaling.TargetMean; sy, scaling.TargetScale ]
    for expected, actual in stored do
        Assert.True(abs (expected - actual) <= 1e-5 * abs expected, sprintf "statistic %g, file %g" expected actual)
    let code, out, err = runStreams [ "predict"; model; "--input"; query; "--samples"; "30"; "--seed"; "9"; "--format"; "json" ]
    Assert.True((code = ExitCodes.Success), err)
    let printed = JsonDocument.Parse(out).RootElement.EnumerateArray() |> Seq.toArray
    Assert.Equal(3, printed.Length)
    let field (name: string) = printed |> Array.map (fun r -> r.GetProperty(name).GetDouble())
    // By hand: standardise the query with those statistics, predict with the same seed, map mean back by mu = m_y + s_y mu' and
    // every variance by s_y^2.
    use network = ModelFile.Load(model, ComputePolicy.Default)
    let standardized = [| (5.0 - ma) / sa; (100.5 - mb) / sb; (30.0 - ma) / sa; (98.0 - mb) / sb; (0.0 - ma) / sa; (100.0 - mb) / sb |]
    use x = torch.tensor(standardized |> Array.map float32).reshape(3L, 2L)
    NativeEngine.Seed 9L
    use p = network.Predict(x, 30)
    closeRelative (values (p.Mean()) |> Array.map (fun m -> my + sy * m)) (field "mean") "mean"
    closeRelative (values (p.AleatoricVariance()) |> Array.map (fun v -> sy * sy * v)) (field "aleatoric_variance") "E[sigma^2]"
    closeRelative (values (p.EpistemicVariance()) |> Array.map (fun v -> sy * sy * v)) (field "epistemic_variance") "Var[mu]"
    closeRelative (values (p.TotalVariance()) |> Array.map (fun v -> sy * sy * v)) (field "variance") "total variance"
    // The CSV holds the same numbers.
    let code, csv, _ = runStreams [ "predict"; model; "--input"; query; "--samples"; "30"; "--seed"; "9" ]
    Assert.Equal(ExitCodes.Success, code)
    let header, table = parseCsv csv
    close (field "epistemic_variance") (column header table "epistemic_variance") "CSV against JSON"

[<Fact>]
let ``a classification CSV is standardised column by column unless --no-standardize; predict maps new rows forward the same way`` () =
    engine ()
    use dir = new TempDir()
    let rng = Random 8
    let train, query = dir.File "classes.csv", dir.File "query.csv"
    // Two inputs on scales a thousand times apart; the class is which side of a line the point lies.
    let rows =
        Array.init 60 (fun _ ->
            let a, b = 1000.0 + 500.0 * rng.NextDouble(), rng.NextDouble()
            a, b, (if (a - 1000.0) / 500.0 > b then 1 else 0))
    let format (a: float, b: float, c: int) = String.Format(CultureInfo.InvariantCulture, "{0:R},{1:R},{2}", a, b, c)
    File.WriteAllLines(train, "a,b,label" :: [ for r in rows -> format r ])
    File.WriteAllLines(query, [ "a,b"; "1100,0.9"; "1450,0.1" ])
    let trainTo (model: string) (extra: string list) =
        let code, text =
            run ([ "train"; "--method"; "vi"; "--csv"; train; "--target"; "label"; "--task"; "classification"; "--network"; "2-8-2"
                   "--epochs"; "1"; "--output"; model; "--quiet" ] @ extra)
        Assert.True((code = ExitCodes.Success), text)
    let model, plain = dir.File "scaled.bnn", dir.File "plain.bnn"
    trainTo model []
    trainTo plain [ "--no-standardize" ]
    Assert.Null(ModelFile.StandardizationOf plain)
    // The file keeps each input column's mean and sd; the class indices are left alone (target mean 0, scale 1).
    let scaling = ModelFile.StandardizationOf model
    Assert.NotNull scaling
    let (ma, sa), (mb, sb) = meanSd (rows |> Array.map (fun (a, _, _) -> a)), meanSd (rows |> Array.map (fun (_, b, _) -> b))
    // The table is read as float32: each value moves by up to 2^-24 of the column's largest magnitude, and so may its mean and sd.
    let rounding (column: float[]) = 4.0 * 2.0 ** -24.0 * Array.max (Array.map abs column)
    let ta, tb = rounding (rows |> Array.map (fun (a, _, _) -> a)), rounding (rows |> Array.map (fun (_, b, _) -> b))
    let stats = [ ma, scaling.InputMean[0], ta; sa, scaling.InputScale[0], ta; mb, scaling.InputMean[1], tb; sb, scaling.InputScale[1], tb ]
    for expected, actual, tolerance in stats do
        Assert.True(abs (expected - actual) <= tolerance, sprintf "statistic %g, file %g" expected actual)
    Assert.Equal(0.0, scaling.TargetMean)
    Assert.Equal(1.0, scaling.TargetScale)
    let code, out, err = runStreams [ "predict"; model; "--input"; query; "--samples"; "10"; "--seed"; "5" ]
    Assert.True((code = ExitCodes.Success), err)
    let header, table = parseCsv out
    use network = ModelFile.Load(model, ComputePolicy.Default)
    let standardized = [| (1100.0 - ma) / sa; (0.9 - mb) / sb; (1450.0 - ma) / sa; (0.1 - mb) / sb |]
    use x = torch.tensor(standardized |> Array.map float32).reshape(2L, 2L)
    NativeEngine.Seed 5L
    use p = network.Predict(x, 10)
    use mean = p.Mean()
    closeRelative (values (mean.select(1, 1L))) (column header table "p1") "p1"
    // --no-standardize with IDX data is refused: images are never standardised.
    let images, labels = dir.File "i.idx", dir.File "l.idx"
    let code, text = run [ "train"; "--images"; images; "--labels"; labels; "--network"; "4-2"; "--output"; plain; "--no-standardize" ]
    Assert.True((code = ExitCodes.Usage), text)
    Assert.Contains("--no-standardize applies to --csv data", text)

[<Fact>]
let ``train --method laplace saves a Laplace posterior whose predict matches the core's on the target's scale`` () =
    engine ()
    use dir = new TempDir()
    let rng = Random 6
    let train, query = dir.File "train.csv", dir.File "query.csv"
    let rows = Array.init 40 (fun _ -> let a, b = 10.0 * rng.NextDouble(), 100.0 + rng.NextDouble() in a, b, 50.0 + 20.0 * (a - b + 100.0))
    let format (a: float, b: float, y: float) = String.Format(CultureInfo.InvariantCulture, "{0:R},{1:R},{2:R}", a, b, y)
    File.WriteAllLines(train, "a,b,y" :: [ for r in rows -> format r ])
    File.WriteAllLines(query, [ "a,b"; "5,100.5"; "30,98" ])
    let model = dir.File "laplace.bnn"
    let trainArgs width =
        [ "train"; "--method"; "laplace"; "--csv"; train; "--target"; "y"; "--task"; "regression"; "--network"; width
          "--epochs"; "2"; "--batch-size"; "8"; "--output"; model; "--quiet" ]
    // A heteroscedastic head (2 outputs) is refused: the Laplace regression model has one noise sd.
    let code, text = run (trainArgs "2-8-2")
    Assert.True((code = ExitCodes.Usage), text)
    Assert.Contains("the last width must be 1, e.g. 2-8-1", text)
    let code, text = run (trainArgs "2-8-1")
    Assert.True((code = ExitCodes.Success), text)
    Assert.Equal(ModelFileKind.Laplace, ModelFile.KindOf model)
    let scaling = ModelFile.StandardizationOf model
    Assert.NotNull scaling
    let code, out, err = runStreams [ "predict"; model; "--input"; query; "--samples"; "25"; "--seed"; "4"; "--format"; "json" ]
    Assert.True((code = ExitCodes.Success), err)
    let printed = JsonDocument.Parse(out).RootElement.EnumerateArray() |> Seq.toArray
    let field (name: string) = printed |> Array.map (fun r -> r.GetProperty(name).GetDouble())
    // The core's posterior, the query standardised by the file's statistics, the same seed; back on the target's scale.
    use posterior = ModelFile.LoadLaplace(model, ComputePolicy.Default)
    Assert.True(posterior.NoiseSigma.HasValue && posterior.NoiseSigma.Value > 0.0, "a regression posterior has a noise sd")
    let z (v: float) i = (v - scaling.InputMean[i]) / scaling.InputScale[i]
    use x = torch.tensor([| z 5.0 0; z 100.5 1; z 30.0 0; z 98.0 1 |] |> Array.map float32).reshape(2L, 2L)
    NativeEngine.Seed 4L
    use p = posterior.Predict(x, 25)
    let my, sy = scaling.TargetMean, scaling.TargetScale
    closeRelative (values (p.Mean()) |> Array.map (fun m -> my + sy * m)) (field "mean") "mean"
    closeRelative (values (p.AleatoricVariance()) |> Array.map (fun v -> sy * sy * v)) (field "aleatoric_variance") "E[sigma^2]"
    // predict forms Var[mu] from float32 draws already mapped to the target's scale: each draw is rounded by up to
    // eps32 |mu| (eps32 = 2^-24), which moves a variance by up to about 2 sd eps32 |mu| per draw; allowed 4 times that.
    let means, printedSpread = field "mean", field "epistemic_variance"
    let spread = values (p.EpistemicVariance()) |> Array.map (fun v -> sy * sy * v)
    for i in 0 .. spread.Length - 1 do
        let rounding = 4.0 * 2.0 * sqrt spread[i] * abs means[i] * 2.0 ** -24.0
        Assert.True(abs (spread[i] - printedSpread[i]) <= 1e-5 * spread[i] + rounding,
                    sprintf "Var[mu] row %d: expected %g, printed %g" i spread[i] printedSpread[i])
    // Weights drawn from the posterior: the epistemic part is there, not folded into the noise.
    Assert.True(field "epistemic_variance" |> Array.forall (fun v -> v > 0.0), out)

[<Fact>]
let ``an ensemble's model file predicts with one draw per member, no options needed; wrong models or inputs are usage errors`` () =
    engine ()
    use dir = new TempDir()
    let model, images, labels = fixture dir
    let ensemble, config = dir.File "ens.bnn", dir.File "ens.json"
    File.WriteAllText(config, """{ "method": "ensemble", "network": "16-8-3", "members": 3, "epochs": 1, "seed": 4 }""")
    let code, text = run [ "train"; "--config"; config; "--images"; images; "--labels"; labels; "--output"; ensemble; "--quiet" ]
    Assert.True((code = ExitCodes.Success), text)
    let code, out, err = runStreams [ "predict"; ensemble; "--input"; images ]
    Assert.True((code = ExitCodes.Success), err)
    let header, rows = parseCsv out
    // The printed probabilities are the mean of the three members' softmax outputs.
    let members = ModelFile.LoadEnsemble(ensemble, ComputePolicy.Default)
    Assert.Equal(3, members.Members.Count)
    use data = BayesDL.Data.Mnist.Load(images, labels, ComputePolicy.Default)
    use p = members.Predict data.Inputs
    use mean = p.Mean()
    close (values (mean.select(1L, 0L))) (column header rows "p0") "p0 against the loaded ensemble's mean"
    // Three members disagree somewhere: the mutual information is positive for some row, and H = E[H] + I for every row.
    let h, eh, mi =
        column header rows "predictive_entropy",
        column header rows "aleatoric_expected_entropy",
        column header rows "epistemic_mutual_information"
    Assert.True(mi |> Array.exists (fun v -> v > 1e-4), sprintf "%A" mi)
    for i in 0 .. rows.Length - 1 do
        Assert.True(abs (h[i] - eh[i] - mi[i]) <= 1e-5, sprintf "row %d: H %g, E[H] %g, I %g" i h[i] eh[i] mi[i])
    let fragment (args: string list) (expected: string) =
        let code, output = run args
        Assert.True((code = ExitCodes.Usage), sprintf "%A: exit %d\n%s" args code output)
        Assert.Contains(expected, output)
    let code, output = run [ "predict"; ensemble; "--input"; images; "--config"; config ]
    Assert.True((code = ExitCodes.Usage), output)
    Assert.Contains("--config", output)
    let vae = dir.File "vae.bnn"
    let code, text =
        run [ "train"; "--method"; "vae"; "--network"; "16-8-2"; "--images"; images; "--labels"; labels; "--epochs"; "1"
              "--output"; vae; "--quiet" ]
    Assert.True((code = ExitCodes.Success), text)
    fragment [ "predict"; vae; "--input"; images ] "a VAE, which predicts no targets"
    let broken = File.ReadAllBytes ensemble
    broken[broken.Length - 4] <- broken[broken.Length - 4] ^^^ 1uy
    File.WriteAllBytes(dir.File "broken.bnn", broken)
    fragment [ "predict"; dir.File "broken.bnn"; "--input"; images ] (dir.File "broken.bnn" + ": expected ")
    fragment [ "predict"; model; "--input"; images; "--format"; "xml" ] "--format xml: expected csv or json"
    fragment [ "predict"; model; "--input"; dir.File "none.csv" ] "--input"
    File.WriteAllLines(dir.File "wide.csv", [ "a,b,c"; "1,2,3" ])
    fragment [ "predict"; model; "--input"; dir.File "wide.csv" ] "each image has 3 values but the model's first layer takes 16 inputs"

/// The predictive of a loaded SWAG or SG-MCMC model file at `x` (standardised rows), T = `samples` draws (at most SG-MCMC's kept draws).
let private posteriorPredict (model: string) (x: torch.Tensor) (samples: int) : BayesDL.Predictive.PredictiveSamples =
    match ModelFile.KindOf model with
    | ModelFileKind.Swag ->
        use posterior = ModelFile.LoadSwag(model, ComputePolicy.Default)
        posterior.Predict(x, samples)
    | ModelFileKind.Sgmcmc ->
        let posterior = ModelFile.LoadSgmcmc(model, ComputePolicy.Default)
        posterior.Predict(x, min samples (posterior.Store.ChainCount * posterior.Store.DrawsPerChain))
    | kind -> failwithf "expected a SWAG or SG-MCMC file, found %A" kind

[<Theory>]
[<InlineData("swag")>]
[<InlineData("sgmcmc")>]
let ``train --method swag and sgmcmc save posteriors whose predict matches the core's and that evaluate scores`` (methodName: string) =
    engine ()
    use dir = new TempDir()
    let rng = Random 8
    let format (cells: float list) = String.Join(",", cells |> List.map (fun v -> v.ToString("R", CultureInfo.InvariantCulture)))
    // Regression on a scale far from mean 0, sd 1 (the predictive must come back on it).
    let train, query = dir.File "train.csv", dir.File "query.csv"
    let rows =
        Array.init 48 (fun _ -> let a, b = 10.0 * rng.NextDouble(), 100.0 + rng.NextDouble() in [ a; b; 50.0 + 20.0 * (a - b + 100.0) ])
    File.WriteAllLines(train, "a,b,y" :: [ for r in rows -> format r ])
    File.WriteAllLines(query, [ "a,b"; "5,100.5"; "3,99" ])
    let model = dir.File (methodName + "-regression.bdl")
    let code, text =
        run [ "train"; "--method"; methodName; "--csv"; train; "--target"; "y"; "--task"; "regression"; "--network"; "2-8-2"
              "--epochs"; "4"; "--batch-size"; "8"; "--output"; model; "--quiet" ]
    Assert.True((code = ExitCodes.Success), text)
    Assert.Equal((if methodName = "swag" then ModelFileKind.Swag else ModelFileKind.Sgmcmc), ModelFile.KindOf model)
    let scaling = ModelFile.StandardizationOf model
    Assert.NotNull scaling
    let code, out, err = runStreams [ "predict"; model; "--input"; query; "--samples"; "25"; "--seed"; "4"; "--format"; "json" ]
    Assert.True((code = ExitCodes.Success), err)
    let printed = JsonDocument.Parse(out).RootElement.EnumerateArray() |> Seq.toArray
    let field (name: string) = printed |> Array.map (fun r -> r.GetProperty(name).GetDouble())
    let z (v: float) i = (v - scaling.InputMean[i]) / scaling.InputScale[i]
    use x = torch.tensor([| z 5.0 0; z 100.5 1; z 3.0 0; z 99.0 1 |] |> Array.map float32).reshape(2L, 2L)
    use p = posteriorPredict model x 25
    let my, sy = scaling.TargetMean, scaling.TargetScale
    closeRelative (values (p.Mean()) |> Array.map (fun m -> my + sy * m)) (field "mean") "mean"
    closeRelative (values (p.AleatoricVariance()) |> Array.map (fun v -> sy * sy * v)) (field "aleatoric_variance") "E[sigma^2]"
    // Weights drawn from the posterior: the draws' means differ, so the epistemic part is there.
    Assert.True(field "epistemic_variance" |> Array.forall (fun v -> v > 0.0), out)
    let code, out, err = runStreams [ "evaluate"; model; "--csv"; train; "--target"; "y" ]
    Assert.True((code = ExitCodes.Success), err)
    Assert.Contains("RMSE", out)
    // Classification: three classes by the sign pattern of two inputs; predict's probabilities are the core's.
    let classes = dir.File "classes.csv"
    let labelled =
        Array.init 60 (fun i ->
            let a, b = rng.NextDouble() * 2.0 - 1.0, rng.NextDouble() * 2.0 - 1.0
            [ a; b; float (if a > 0.0 then 0 elif b > 0.0 then 1 else 2) ])
    File.WriteAllLines(classes, "a,b,y" :: [ for r in labelled -> format r ])
    let classifier = dir.File (methodName + "-classifier.bdl")
    let code, text =
        run [ "train"; "--method"; methodName; "--csv"; classes; "--target"; "y"; "--task"; "classification"; "--network"; "2-8-3"
              "--epochs"; "20"; "--batch-size"; "8"; "--lr"; "0.05"; "--output"; classifier; "--quiet" ]
    Assert.True((code = ExitCodes.Success), text)
    let code, out, err = runStreams [ "predict"; classifier; "--input"; query; "--samples"; "20"; "--seed"; "4" ]
    Assert.True((code = ExitCodes.Success), err)
    let header, printedRows = parseCsv out
    let scaling = ModelFile.StandardizationOf classifier
    let z (v: float) i = (v - scaling.InputMean[i]) / scaling.InputScale[i]
    use x = torch.tensor([| z 5.0 0; z 100.5 1; z 3.0 0; z 99.0 1 |] |> Array.map float32).reshape(2L, 2L)
    use p = posteriorPredict classifier x 20
    use mean = p.Mean()
    for k in 0 .. 2 do
        close (values (mean.select(1, int64 k))) (column header printedRows (sprintf "p%d" k)) (sprintf "p%d" k)
    let code, out, err = runStreams [ "evaluate"; classifier; "--csv"; classes; "--target"; "y"; "--json" ]
    Assert.True((code = ExitCodes.Success), err)
    let scores = JsonDocument.Parse(out).RootElement
    // The majority class (a > 0) is about half of the rows; the classes are separable, so the posterior should find most of them.
    Assert.True(scores.GetProperty("accuracy").GetDouble() > 0.8, out)
