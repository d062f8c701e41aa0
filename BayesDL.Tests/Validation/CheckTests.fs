module BayesDL.Tests.Validation.CheckTests

open System
open Xunit
open FsCheck
open FsCheck.FSharp
open FsCheck.Xunit
open TorchSharp
open BayesDL.Validation
open BayesDL.Tests.TestSupport

/// Values for the range checks: mostly in [0, 1] (the bounds included), sometimes out of range, zero, NaN or infinite.
type Values = Values of float[] * bool

type ValuesArb =
    static member Values() =
        let good = Gen.elements [ 0.0; 0.25; 0.5; 1.0 ]
        let bad = Gen.elements [ -1.0; -0.5; 1.5; 2.0; nan; infinity; -infinity ]
        let value = Gen.frequency [ 12, good; 1, bad ]
        gen {
            let! n = Gen.choose (1, 40)
            let! v = Gen.arrayOfLength n value
            let! double = Gen.elements [ true; false ]
            return Values(v, double)
        } |> Arb.fromGen

let private tensorOf (v: float[]) isDouble =
    let t = cpu64.Tensor(v, int64 v.Length)
    if isDouble then t else t.to_type(torch.ScalarType.Float32)

/// The verdict the checks must reach, element by element: the first index breaking the rule, if any.
let private expectThrow (rule: float -> bool) (check: torch.Tensor -> unit) (v: float[]) isDouble =
    use t = tensorOf v isDouble
    match v |> Array.tryFindIndex (fun x -> not (Double.IsFinite x && rule x)) with
    | None -> check t; true
    | Some i ->
        let e = Assert.Throws<ArgumentException>(fun () -> check t)
        e.Message.Contains($"at index [{i}]") && e.Message.Contains("'x'")

// The fast path (one aminmax pass) must agree with the element-wise slow path on every input: pass exactly when all
// elements are finite and obey the rule, and otherwise report the first offending element.
[<Property(MaxTest = 100, Replay = "(23,5)", Arbitrary = [| typeof<ValuesArb> |])>]
let ``range checks pass exactly the finite values obeying the rule and name the first offender`` (Values(v, isDouble)) =
    engine ()
    expectThrow (fun x -> x >= 0.0 && x <= 1.0) (fun t -> Check.InRange(t, 0.0, 1.0, "Test", "x")) v isDouble
    && expectThrow (fun x -> x > 0.0) (fun t -> Check.Positive(t, "Test", "x")) v isDouble
    && expectThrow (fun x -> x >= 0.0) (fun t -> Check.NonNegative(t, "Test", "x")) v isDouble
    && expectThrow (fun _ -> true) (fun t -> Check.Finite(t, "Test", "x")) v isDouble

[<Fact>]
let ``a NaN or an infinity in a large tensor is found, and empty and integer tensors are checked too`` () =
    engine ()
    use big = torch.rand(100000L)
    Check.InRange(big, 0.0, 1.0, "Test", "x")
    big.[77777L] <- torch.tensor(Single.NaN)
    let e = Assert.Throws<ArgumentException>(fun () -> Check.InRange(big, 0.0, 1.0, "Test", "x"))
    Assert.Contains("NaN at index [77777]", e.Message)
    big.[77777L] <- torch.tensor(Single.PositiveInfinity)
    Assert.Throws<ArgumentException>(fun () -> Check.Finite(big, "Test", "x")) |> ignore
    use empty = torch.zeros(0L)
    Check.Positive(empty, "Test", "x")
    use ints = torch.tensor([| 3L; 0L; 5L |])
    let e2 = Assert.Throws<ArgumentException>(fun () -> Check.Positive(ints, "Test", "x"))
    Assert.Contains("at index [1]", e2.Message)
    use bounds = torch.tensor([| 0.1f; 0.2f |])
    // Bounds that float32 cannot represent exactly: 0.1f passes [0.1, 0.2] as it does in the element-wise comparison.
    Check.InRange(bounds, 0.1, 0.2, "Test", "x")

[<Fact>]
let ``Check.Shape is the one shape formatter: messages write shapes in one notation and no other source file formats one`` () =
    Assert.Equal("[2, 3]", Check.Shape [| 2L; 3L |])
    Assert.Equal("[]", Check.Shape [||])
    // Messages of a distribution, a builder walk, the compute policy and the MC predictor agree on the notation.
    engine ()
    let policy = BayesDL.Engine.ComputePolicy.Cpu.Float64()
    let distribution =
        Assert.ThrowsAny<ArgumentException>(fun () -> BayesDL.Distributions.Dist.Normal(policy.Tensor([| 0.0; 1.0; 2.0 |], 3L),
                                                                                        policy.Tensor([| 1.0; 1.0 |], 2L)) |> ignore)
    Assert.Contains("loc shape [3] and scale shape [2]", distribution.Message)
    let values = Assert.ThrowsAny<ArgumentException>(fun () -> policy.Tensor([| 1.0 |], 2L, 2L) |> ignore)
    Assert.Contains("shape [2, 2]", values.Message)
    let walk = BayesDL.Builders.ModelBuilder.Sequential().Linear(2L, 3L).Linear(4L, 1L).Validate() |> Seq.exactlyOne
    Assert.Contains("outputs [3]", walk.Message)
    // No other formatter: a shape joined into text anywhere else in the core, the DSL, the CLI or the plots.
    let formatter = Text.RegularExpressions.Regex(@"string\.Join\(""[^""]*"", [\w.]*[sS]hape\)|ShapeText|String\.concat "", "" .*[sS]hape")
    let offenders =
        [ for project in [ "BayesDL.Core"; "BayesDL.Dsl"; "BayesDL.Cli"; "BayesDL.Plotting" ] do
            for file in IO.Directory.EnumerateFiles(IO.Path.Combine(repoRoot, project), "*.*", IO.SearchOption.AllDirectories) do
                let sep = string IO.Path.DirectorySeparatorChar
                if (file.EndsWith ".cs"
                    || file.EndsWith ".fs") && not (file.Contains(sep + "obj" + sep)) && IO.Path.GetFileName file <> "Check.cs" then
                    for number, line in IO.File.ReadAllLines file |> Array.indexed do
                        if formatter.IsMatch line then
                            yield sprintf "%s:%d: %s" (IO.Path.GetRelativePath(repoRoot, file)) (number + 1) (line.Trim()) ]
    Assert.True(List.isEmpty offenders, String.Join("\n", offenders))
