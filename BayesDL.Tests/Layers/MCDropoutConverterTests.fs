module BayesDL.Tests.Layers.MCDropoutConverterTests

open Xunit
open TorchSharp
open TorchSharp.Modules
open BayesDL.Engine
open BayesDL.Layers
open BayesDL.Tests.TestSupport

type Module = torch.nn.Module<torch.Tensor, torch.Tensor>

/// Same shape and exactly equal elements.
let private same (a: torch.Tensor) (b: torch.Tensor) = a.shape = b.shape && scalar ((a - b).abs().max()) = 0.0

let private kinds (s: Sequential) =
    s.children()
    |> Seq.map (fun m ->
        match m with
        | :? MCDropout as d -> $"MCDropout({d.P})"
        | :? MCSpatialDropout as d -> $"MCSpatialDropout({d.P})"
        | _ -> m.GetType().Name)
    |> List.ofSeq

[<Fact>]
let ``the converter inserts MC dropout before each Linear, keeps the trained layers, and matches the original with MC off`` () =
    engine ()
    NativeEngine.Seed 3L
    let l1, l2, l3 = torch.nn.Linear(20L, 16L), torch.nn.Linear(16L, 16L), torch.nn.Linear(16L, 4L)
    let original = torch.nn.Sequential([| l1 :> Module; torch.nn.ReLU(); l2; torch.nn.ReLU(); l3 |])
    let mc = MCDropoutConverter.Convert(original, MCDropoutConversion(P = 0.5, InputP = 0.2))
    Assert.Equal<string list>(
        [ "MCDropout(0.2)"; "Linear"; "ReLU"; "MCDropout(0.5)"; "Linear"; "ReLU"; "MCDropout(0.5)"; "Linear" ], kinds mc)
    let linears = mc.children() |> Seq.filter (fun m -> m :? Linear) |> List.ofSeq
    Assert.Same(l1, linears[0]); Assert.Same(l2, linears[1]); Assert.Same(l3, linears[2])
    original.eval(); mc.eval()
    use x = torch.randn(32L, 20L)
    use a = mc.forward x
    use b = mc.forward x
    Assert.False(same a b, "the converted network must be stochastic in evaluation mode")
    MonteCarloMode.Set(mc, false) |> ignore
    use det = mc.forward x
    use reference = original.forward x
    Assert.True(same det reference, "with MC off the converted network must equal the original")

[<Fact>]
let ``existing dropout is re-enabled in place and convolutions get channel dropout`` () =
    engine ()
    let inner = torch.nn.Sequential([| torch.nn.Flatten() :> Module; torch.nn.Dropout(0.3); torch.nn.Linear(8L * 4L * 4L, 10L) |])
    let original =
        torch.nn.Sequential([| torch.nn.Conv2d(1L, 8L, 3L) :> Module; torch.nn.ReLU(); torch.nn.Dropout2d(0.25);
                               torch.nn.Conv2d(8L, 8L, 3L); inner |])
    let mc = MCDropoutConverter.Convert(original, MCDropoutConversion(P = 0.1, InputP = 0.0))
    // InputP = 0: nothing before the first convolution; Dropout2d -> MC (0.25), no second dropout inserted.
    Assert.Equal<string list>([ "Conv2d"; "ReLU"; "MCSpatialDropout(0.25)"; "Conv2d"; "Sequential" ], kinds mc)
    let innerMC = mc.children() |> Seq.last :?> Sequential
    Assert.Equal<string list>([ "Flatten"; "MCDropout(0.3)"; "Linear" ], kinds innerMC)
    mc.eval()
    use x = torch.randn(2L, 1L, 8L, 8L)
    use y = mc.forward x
    Assert.Equal<int64[]>([| 2L; 10L |], y.shape)
