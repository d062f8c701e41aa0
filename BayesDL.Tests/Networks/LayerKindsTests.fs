/// The layer-kind registry: every registered kind, present and future, is checked here without being named: its
/// functional form against its module, its model-file description by a bitwise round trip.
module BayesDL.Tests.Networks.LayerKindsTests

open System
open System.IO
open Xunit
open TorchSharp
open BayesDL.Builders
open BayesDL.Engine
open BayesDL.Layers
open BayesDL.Models
open BayesDL.Networks
open BayesDL.Predictive
open BayesDL.Tests.TestSupport

/// Float64 passes of the same weights: the functional form batches the draws (bmm, a grouped convolution) and so may
/// sum in another order, over at most ~20 terms of size ~1 here: a few ulps (2.2e-16) each. 1e-10 leaves room for that
/// and for the Bayesian examples' sigma = softplus(-60) ~ 1e-26 weight noise; a wrong layout or dimension is O(1) off.
let tolerance = 1e-10

let private example (kind: LayerKind) =
    let m, input = kind.Example().ToTuple()
    let net = torch.nn.Sequential([| m |])
    cpu64.Apply net |> ignore
    net, m, input

let private functionalOf (kind: LayerKind) (m: torch.nn.Module) =
    let f = kind.Functional m
    if isNull (box f) then None else Some f

[<Fact>]
let ``the registry holds every kind the builders and model files use, each under its own type name and module`` () =
    let types = LayerKinds.All |> Seq.map (fun k -> k.Type) |> Array.ofSeq
    Assert.Equal(types.Length, (Array.distinct types).Length)
    Assert.Equal(types.Length, (LayerKinds.All |> Seq.map (fun k -> k.Module) |> Seq.distinct |> Seq.length))
    for t in [ "Linear"; "Conv2d"; "BayesLinear"; "BayesConv2d"; "MultivariateBayesLinear"; "Flatten"; "Dropout"; "MCDropout"
               "MCSpatialDropout"; "ConcreteDropout"; "VariationalConcreteDropout"; "ReLU"; "Tanh"; "Sigmoid"; "Softplus"; "ELU"; "GELU"
               "Softmax" ] do
        Assert.Contains(t, types)
    for kind in LayerKinds.All do
        Assert.Same(kind, LayerKinds.Named kind.Type)
    // Every activation the builders name is a registered element-wise kind.
    for a in Enum.GetValues<Activation>() do
        let declared = ModelBuilder.Sequential().Linear(2L, 3L).Activation(a)
        Assert.Empty(declared.Validate())

[<Fact>]
let ``every registered kind's functional form equals its module's forward for random weights, batched over draws`` () =
    engineOneThread ()
    NativeEngine.Seed 11L
    let draws = 3
    // Every kind is checked and every failure reported together.
    let failures = Collections.Generic.List<string>()
    let check ok (message: string) = if not ok then failures.Add message
    let mutable functionalKinds = 0
    for kind in LayerKinds.All do
        let net, m, input = example kind
        use net = net
        use x = torch.randn([| yield 5L; yield! input |], dtype = torch.ScalarType.Float64)
        match functionalOf kind m with
        | None ->
            // Only a layer that is random given its weights may lack a functional form: two training passes differ.
            net.train()
            use a = net.forward x
            use b = net.forward x
            check (not (a.allclose b)) (sprintf "%s has no functional form, but it is deterministic given its weights" kind.Type)
        | Some functional ->
            net.eval()
            let network = FunctionalNetwork.From(net, input, PriorSpec.Normal())
            let outputs, thetas =
                [ for _ in 1..draws do
                    do
                        use _ = torch.no_grad()
                        for p in functional.Parameters do p.Value.copy_(torch.randn_like(p.Value)) |> ignore
                    yield net.forward(x).detach(), network.Pack net ] |> List.unzip
            use expected = torch.stack(outputs)
            use theta = torch.stack(thetas)
            check (theta.shape[1] = int64 network.Dimension
                   && functional.Parameters |> Seq.sumBy (fun p -> p.Count) = int64 network.Dimension)
                (sprintf "%s: theta has %d entries, the network %d" kind.Type theta.shape[1] network.Dimension)
            use actual = network.Forward(theta, x)
            if actual.shape <> expected.shape then
                check false (sprintf "%s: functional output %A, module output %A" kind.Type actual.shape expected.shape)
            else
                let error = scalar ((actual - expected).abs().max())
                check (error < tolerance) (sprintf "%s: the functional form differs from the module by %g" kind.Type error)
            // The draws' weights differ, so a functional form that ignored theta (or used one draw for all) would fail above.
            check (functional.Parameters.Count = 0 || not (expected[0].allclose(expected[1]))) (sprintf "%s: the draws agree" kind.Type)
            for t in outputs @ thetas do t.Dispose()
            functionalKinds <- functionalKinds + 1
    Assert.True(failures.Count = 0, String.concat "\n" failures)
    // Dense, convolutional (deterministic and Bayesian), the activations and Flatten have functional forms.
    Assert.True(functionalKinds >= 13, sprintf "only %d kinds have a functional form" functionalKinds)

[<Fact>]
let ``every registered kind round-trips through a model file bitwise: description, tensors and forward pass`` () =
    engineOneThread ()
    NativeEngine.Seed 12L
    use dir = new TempDir()
    let failures = Collections.Generic.List<string>()
    let check ok (message: string) = if not ok then failures.Add message
    for kind in LayerKinds.All do
        let _, m, input = example kind
        // A model file holds a BayesianNetwork, which needs a stochastic layer: an MC dropout layer follows the kind's.
        use model = BayesianNetwork.Create(Likelihood.Categorical(), m, BayesNN.MCDropout(0.1))
        let first, second = dir.File(kind.Type + ".bnn"), dir.File(kind.Type + ".again.bnn")
        ModelFile.Save(model, first)
        use loaded = ModelFile.Load(first, cpu64)
        check (m.GetType() = (loaded.Body.children() |> Seq.head).GetType()) (sprintf "%s: loaded as another module" kind.Type)
        let original, restored = model.state_dict(), loaded.state_dict()
        check (Seq.toList original.Keys = Seq.toList restored.Keys) (sprintf "%s: other tensors after loading" kind.Type)
        for KeyValue(key, value) in original do
            if restored.ContainsKey key then
                check (value.shape = restored[key].shape && value.eq(restored[key]).all().item<bool>())
                    (sprintf "%s: tensor %s differs after loading" kind.Type key)
        // The same random stream through both: a setting read back wrong (a rate, a slope, a dimension) changes the output.
        use x = torch.randn([| yield 5L; yield! input |], dtype = torch.ScalarType.Float64)
        let pass (network: BayesianNetwork) =
            network.train()
            NativeEngine.Seed 3L
            use _ = torch.no_grad()
            network.Body.forward(x)
        use a = pass model
        use b = pass loaded
        check (a.shape = b.shape && a.eq(b).all().item<bool>()) (sprintf "%s: the loaded layer computes something else" kind.Type)
        // Written again, the loaded model is the same file: every field the kind writes is read back as it was.
        ModelFile.Save(loaded, second)
        check (File.ReadAllBytes first = File.ReadAllBytes second) (sprintf "%s: the file differs when written again" kind.Type)
    Assert.True(failures.Count = 0, String.concat "\n" failures)
