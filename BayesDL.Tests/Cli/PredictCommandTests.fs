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
    Assert.Equal<string[]>([| "row"; "class"; "p0"; "p1"; "p2"; "predictive_entropy"; "aleatoric_expected_entropy"; "epistemic_mutual_information" |], header)
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

[<Fact>]
let ``predict on a regression model gives mean, E[sigma^2] and Var[mu] per row, as CSV or JSON`` () =
    engine ()
    use dir = new TempDir()
    let rng = Random 4
    let train, query = dir.File "train.csv", dir.File "query.csv"
    File.WriteAllLines(train, "a,b,y" :: [ for _ in 1..30 -> let a, b = rng.NextDouble(), rng.NextDouble() in String.Format(CultureInfo.InvariantCulture, "{0:R},{1:R},{2:R}", a, b, a - b) ])
    File.WriteAllLines(query, [ "a,b"; "0.5,0.25"; "3,-2"; "0,0" ])
    let model = dir.File "reg.bnn"
    let code, text = run [ "train"; "--csv"; train; "--target"; "y"; "--task"; "regression"; "--network"; "2-8-2"; "--epochs"; "1"; "--output"; model; "--quiet" ]
    Assert.True((code = ExitCodes.Success), text)
    let code, out, err = runStreams [ "predict"; model; "--input"; query; "--samples"; "30"; "--seed"; "9"; "--format"; "json" ]
    Assert.True((code = ExitCodes.Success), err)
    let rows = JsonDocument.Parse(out).RootElement.EnumerateArray() |> Seq.toArray
    Assert.Equal(3, rows.Length)
    let field (name: string) = rows |> Array.map (fun r -> r.GetProperty(name).GetDouble())
    use network = ModelFile.Load(model, ComputePolicy.Default)
    use x = torch.tensor([| 0.5f; 0.25f; 3.0f; -2.0f; 0.0f; 0.0f |]).reshape(3L, 2L)
    NativeEngine.Seed 9L
    use p = network.Predict(x, 30)
    close (values (p.Mean())) (field "mean") "mean"
    close (values (p.AleatoricVariance())) (field "aleatoric_variance") "E[sigma^2]"
    close (values (p.EpistemicVariance())) (field "epistemic_variance") "Var[mu]"
    close (values (p.TotalVariance())) (field "variance") "total variance"
    // The CSV holds the same numbers.
    let code, csv, _ = runStreams [ "predict"; model; "--input"; query; "--samples"; "30"; "--seed"; "9" ]
    Assert.Equal(ExitCodes.Success, code)
    let header, table = parseCsv csv
    close (field "epistemic_variance") (column header table "epistemic_variance") "CSV against JSON"

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
    let h, eh, mi = column header rows "predictive_entropy", column header rows "aleatoric_expected_entropy", column header rows "epistemic_mutual_information"
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
    let code, text = run [ "train"; "--method"; "vae"; "--network"; "16-8-2"; "--images"; images; "--labels"; labels; "--epochs"; "1"; "--output"; vae; "--quiet" ]
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
