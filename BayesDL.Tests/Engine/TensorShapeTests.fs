module BayesDL.Tests.Engine.TensorShapeTests

open System
open Xunit
open FsCheck
open FsCheck.FSharp
open FsCheck.Xunit
open TorchSharp
open BayesDL.Engine
open BayesDL.Tests.TestSupport

/// A tensor shape of rank 0 to 4 with sizes 0 to 3: scalars and empty dimensions included.
type Shape = Shape of int64[]

type Shapes =
    static member Shape() =
        gen {
            let! rank = Gen.choose (0, 4)
            let! sizes = Gen.arrayOfLength rank (Gen.choose (0, 3))
            return Shape(Array.map int64 sizes)
        }
        |> Arb.fromGen

[<Property(MaxTest = 100, Replay = "(4242,7)", Arbitrary = [| typeof<Shapes> |])>]
let ``TensorShape.Of reads what TorchSharp's shape gives, and Is accepts that shape and no other`` (Shape shape) =
    engine ()
    use t = torch.zeros(shape, dtype = torch.float64)
    let longer = Array.append shape [| 1L |]
    let grown = shape |> Array.mapi (fun i s -> if i = shape.Length - 1 then s + 1L else s)
    Assert.Equal<int64[]>(t.shape, TensorShape.Of t)
    Assert.True(TensorShape.Is(t, ReadOnlySpan shape))
    Assert.False(TensorShape.Is(t, ReadOnlySpan longer))
    if shape.Length > 0 then
        Assert.False(TensorShape.Is(t, ReadOnlySpan grown))
        Assert.False(TensorShape.Is(t, ReadOnlySpan shape[1..]))

[<Fact>]
let ``TensorShape reads a view's own shape, not its storage's`` () =
    engine ()
    use t = torch.zeros([| 4L; 6L |], dtype = torch.float64)
    use view = t.narrow(1L, 2L, 3L).T
    Assert.Equal<int64[]>([| 3L; 4L |], TensorShape.Of view)
    Assert.True(TensorShape.Is(view, ReadOnlySpan [| 3L; 4L |]))
