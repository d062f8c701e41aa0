module BayesDL.Tests.Plotting.PlottingTests

open System
open System.IO
open Xunit
open TorchSharp
open BayesDL.Plotting
open BayesDL.Tests.TestSupport

let private isPng (path: string) =
    let bytes = File.ReadAllBytes path
    bytes.Length > 100 && bytes.[0] = 0x89uy && bytes.[1] = byte 'P' && bytes.[2] = byte 'N' && bytes.[3] = byte 'G'

[<Fact>]
let ``image grid and latent scatter write PNG files atomically`` () =
    engine ()
    use dir = new TempDir()
    let grid = ImageGrid.Save(torch.rand(10L, 784L), 4, dir.File "grid.png", title = "t")
    Assert.True(isPng grid)
    let scatter = LatentScatter.Save(torch.randn(50L, 2L), torch.randint(0L, 10L, [| 50L |]), dir.File "scatter.png")
    Assert.True(isPng scatter)
    Assert.Equal<string seq>([ "grid.png"; "scatter.png" ], Directory.GetFiles dir.Path |> Array.map Path.GetFileName |> Array.sort)

[<Fact>]
let ``plotting rejects images of the wrong shape`` () =
    engine ()
    use dir = new TempDir()
    let e = Assert.Throws<ArgumentException>(fun () -> ImageGrid.Save(torch.rand(3L, 100L), 2, dir.File "g.png") |> ignore)
    Assert.Contains("images", e.Message); Assert.Contains("784", e.Message)
    let e = Assert.Throws<ArgumentException>(fun () -> LatentScatter.Save(torch.rand(3L, 2L), torch.zeros(4L, dtype = torch.ScalarType.Int64), dir.File "s.png") |> ignore)
    Assert.Contains("labels", e.Message)
