/// PyTorch weights in: a state dict written by torch.save (fixture from Fixtures/pytorch/make-state-dict.py, run once
/// with Debian's python3-torch 1.13) loads into a builder-declared network in order, checked by shape.
module BayesDL.Tests.Builders.PyTorchWeightsTests

open System
open System.IO
open Xunit
open BayesDL.Builders
open BayesDL.Engine
open BayesDL.Layers
open BayesDL.Tests.TestSupport
open BayesDL.Validation
open TorchSharp
open TorchSharp.PyBridge

let private fixture name = Path.Combine(repoRoot, "BayesDL.Tests", "Fixtures", "pytorch", name)
let private stateDict = fixture "mlp-4-8-3.pt"

/// The Python model's inputs [6, 4] and outputs [6, 3] (float32 printed with 9 significant digits: exact).
let private pythonRows () =
    let rows =
        File.ReadAllLines(fixture "mlp-4-8-3-outputs.csv")
        |> Array.skip 1
        |> Array.map (fun l -> l.Split ',' |> Array.map (fun s -> Double.Parse(s, Globalization.CultureInfo.InvariantCulture)))
    Array.map (Array.take 4) rows, Array.map (Array.skip 4) rows

let private mlp (hidden: int64) = ModelBuilder.Sequential().Linear(4L, hidden).Relu().Linear(hidden, 3L)

let private messageOf (f: unit -> unit) = (Assert.ThrowsAny<ArgumentException>(fun () -> f ())).Message

let private contains (message: string) (parts: string list) =
    for p in parts do Assert.True(message.Contains p, sprintf "message lacks '%s':\n%s" p message)

[<Fact>]
let ``an imported state dict predicts what the PyTorch model predicted to 1e-6`` () =
    engine ()
    use _scope = torch.NewDisposeScope()
    let inputs, outputs = pythonRows ()
    let net = (mlp 8L).BuildNetwork(ComputePolicy.Cpu)
    PyTorchWeights.Load(net, stateDict)
    net.eval()
    use _ = torch.no_grad()
    let x = torch.tensor(Array.map float32 (Array.concat inputs)).reshape(6L, 4L)
    let y = values (net.call x)
    let expected = Array.concat outputs
    Assert.Equal(18, y.Length)
    let worst = Array.map2 (fun a b -> abs (a - b)) y expected |> Array.max
    Assert.True(worst <= 1e-6, sprintf "largest difference from the Python outputs %g > 1e-6" worst)

[<Fact>]
let ``a layer of the wrong width names the PyTorch tensor and both shapes`` () =
    engine ()
    use net = (mlp 9L).BuildNetwork(ComputePolicy.Cpu)
    let m = messageOf (fun () -> PyTorchWeights.Load(net, stateDict))
    contains m [ "'0.weight'"; "shape [8, 4]"; "shape [9, 4]"; "Linear(4 -> 9)" ]

[<Fact>]
let ``a network with more layers than the state dict names the first weight left empty and changes nothing`` () =
    engine ()
    use net = (mlp 8L).Relu().Linear(3L, 2L).BuildNetwork(ComputePolicy.Cpu)
    let before = [ for p in net.parameters() -> values p ]
    let m = messageOf (fun () -> PyTorchWeights.Load(net, stateDict))
    contains m [ "4 tensor(s)"; "'weight'"; "Linear(3 -> 2)"; "(6)" ]
    // Every tensor is checked before any is copied: the first layer, which would fit, keeps its weights.
    Assert.Equal<float[] list>(before, [ for p in net.parameters() -> values p ])

[<Fact>]
let ``a network with fewer layers than the state dict names the first tensor left over`` () =
    engine ()
    use net = ModelBuilder.Sequential().Linear(4L, 8L).BuildNetwork(ComputePolicy.Cpu)
    let m = messageOf (fun () -> PyTorchWeights.Load(net, stateDict))
    contains m [ "'2.weight'"; "[3, 8]"; "left over"; "(2)" ]

/// Asserts that loading `path` throws a FileFormatException naming the file and containing every part.
let private refused (path: string) (parts: string list) =
    use net = (mlp 8L).BuildNetwork(ComputePolicy.Cpu)
    let e = Assert.Throws<FileFormatException>(fun () -> PyTorchWeights.Load(net, path))
    Assert.Equal(path, e.Path)
    contains e.Message (path :: parts)

[<Fact>]
let ``a missing, foreign or truncated file is a FileFormatException naming the file`` () =
    engine ()
    use dir = new TempDir()
    refused (dir.File "absent.pt") [ "no file at that path" ]
    // The outputs CSV is text, not a torch.save archive.
    refused (fixture "mlp-4-8-3-outputs.csv") [ "torch.save(model.state_dict(), path)" ]
    let truncated = dir.File "truncated.pt"
    File.WriteAllBytes(truncated, File.ReadAllBytes stateDict |> Array.take 900)
    refused truncated [ "torch.save(model.state_dict(), path)" ]

[<Fact>]
let ``a dict around the state dict, or a NaN weight, is refused naming the key`` () =
    engine ()
    use dir = new TempDir()
    use _scope = torch.NewDisposeScope()
    let weights () =
        let h = Collections.Hashtable()
        h["0.weight"] <- torch.zeros(8L, 4L)
        h["0.bias"] <- torch.zeros(8L)
        h["2.weight"] <- torch.zeros(3L, 8L)
        h["2.bias"] <- torch.zeros(3L)
        h
    let wrapped = dir.File "checkpoint.pt"
    let outer = Collections.Hashtable()
    outer["model"] <- weights ()
    PyTorchPickler.PickleStateDict(wrapped, outer)
    refused wrapped [ "'model' holding"; "save model.state_dict() itself" ]
    let poisoned = dir.File "nan.pt"
    let w = weights ()
    w["2.bias"] <- torch.tensor([| 0.0f; nanf; 0.0f |])
    PyTorchPickler.PickleStateDict(poisoned, w)
    refused poisoned [ "NaN or infinite values in '2.bias'" ]
    // The same file without the NaN loads: the refusal is the value's, not the pickler's.
    let clean = dir.File "clean.pt"
    PyTorchPickler.PickleStateDict(clean, weights ())
    use net = (mlp 8L).BuildNetwork(ComputePolicy.Cpu)
    PyTorchWeights.Load(net, clean)
    Assert.True(net.parameters() |> Seq.forall (fun p -> (values p |> Array.forall ((=) 0.0))))

[<Fact>]
let ``a non-positive MOPED delta names the parameter and its value`` () =
    engine ()
    use net = (mlp 8L).BuildNetwork(ComputePolicy.Cpu)
    contains (messageOf (fun () -> PyTorchWeights.Load(net, stateDict, mopedDelta = 0.0))) [ "mopedDelta"; "0"; "> 0" ]
    contains (messageOf (fun () -> PyTorchWeights.Load(net, stateDict, mopedDelta = -0.1))) [ "mopedDelta"; "-0.1" ]

[<Fact>]
let ``MOPED puts the posterior mean at the pretrained weight and sigma at delta times its magnitude`` () =
    engine ()
    use _scope = torch.NewDisposeScope()
    let plain = (mlp 8L).BuildNetwork(ComputePolicy.Cpu)
    PyTorchWeights.Load(plain, stateDict)
    use model =
        ModelBuilder.Sequential().BayesLinear(4L, 8L).Relu().BayesLinear(8L, 3L)
            .WithLikelihood(Likelihoods.Categorical()).Build(ComputePolicy.Cpu)
    PyTorchWeights.Load(model, stateDict, mopedDelta = 0.1)
    let pretrained = plain.modules() |> Seq.choose (function :? Modules.Linear as l -> Some l | _ -> None) |> List.ofSeq
    let bayes = model.Network.modules() |> Seq.choose (function :? BayesLinear as b -> Some b | _ -> None) |> List.ofSeq
    Assert.Equal(2, bayes.Length)
    for l, b in List.zip pretrained bayes do
        Assert.Equal<float[]>(values l.weight, values b.WeightMu)
        Assert.Equal<float[]>(values l.bias, values b.BiasMu)
        let sigma = values (VariationalLayer.Sigma b.WeightRho)
        let target = values l.weight |> Array.map (fun w -> 0.1 * max (abs w) 1e-8)
        let worst = Array.map2 (fun s t -> abs (s - t) / t) sigma target |> Array.max
        Assert.True(worst <= 1e-5, sprintf "sigma differs from 0.1 |w| by a relative %g" worst)
