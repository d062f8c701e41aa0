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
    let e = Assert.Throws<ArgumentException>(fun () -> LatentScatter.Save(torch.rand(3L, 2L),
                                                                          torch.zeros(4L, dtype = torch.ScalarType.Int64), dir.File "s.png")
                                                                          |> ignore)
    Assert.Contains("labels", e.Message)

[<Fact>]
let ``reliability plot writes one PNG for several methods and rejects an empty list`` () =
    engine ()
    use dir = new TempDir()
    let targets = torch.randint(0L, 3L, [| 200L |])
    let diagram (p: torch.Tensor) = BayesDL.Metrics.ReliabilityDiagram.Compute(p, targets, 10)
    let sharp = torch.nn.functional.softmax(torch.randn(200L, 3L) * 5.0, 1L)
    let flat = torch.nn.functional.softmax(torch.randn(200L, 3L) * 0.1, 1L)
    let path = ReliabilityPlot.Save([| struct ("sharp", diagram sharp); struct ("flat", diagram flat) |], dir.File "rel.png")
    Assert.True(isPng path)
    Assert.Equal<string seq>([ "rel.png" ], Directory.GetFiles dir.Path |> Array.map Path.GetFileName)
    let e = Assert.Throws<ArgumentException>(fun () -> ReliabilityPlot.Save([||], dir.File "none.png") |> ignore)
    Assert.Contains("diagrams", e.Message)

[<Fact>]
let ``rank histogram plot writes one PNG with a panel per parameter`` () =
    engine ()
    use dir = new TempDir()
    let options = BayesDL.Calibration.SbcOptions(Replications = 6, Draws = 9, Bins = 5)
    let parameter name = BayesDL.Calibration.SbcParameterResult(name, [| 0; 3; 9; 9; 4; 5 |], [| 1; 1; 2; 0; 2 |], 2.33, 0.67)
    let result = BayesDL.Calibration.SbcResult("m", "method", options, [| parameter "a"; parameter "b" |], TimeSpan.Zero)
    let path = RankHistogramPlot.Save(result, dir.File "ranks.png")
    Assert.True(isPng path)
    Assert.Equal<string seq>([ "ranks.png" ], Directory.GetFiles dir.Path |> Array.map Path.GetFileName)
