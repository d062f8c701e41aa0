/// The packages as a stranger meets them: `dotnet pack` the solution into a folder feed, then, in a temporary folder
/// outside this repository (no Directory.Build.props, no project references), a fresh C# console project and a fresh
/// F# script reference the packages from that feed (plus the machine's normal feed) and train a Bayes-by-Backprop
/// classifier on the MNIST subset the core package carries, and the `bayesdl` tool is installed from the feed and runs
/// its quickstart. On Debian 12 / Ubuntu 22.04 this also proves the native patch reaches consumers: the console app
/// through the package's buildTransitive targets, the script through the core's load-time patched copy.
/// Needs the Debug build (`dotnet test BayesDL.sln` builds it first); packs with --no-build.
module BayesDL.Tests.Packaging.PackageConsumerTests

open System
open System.Diagnostics
open System.IO
open System.Text.RegularExpressions
open Xunit
open Xunit.Abstractions
open BayesDL.Tests.TestSupport

/// A version no earlier run used, so no stale copy in a packages folder can stand in for this build's packages.
let private version = sprintf "0.1.0-consumertest.%s" (DateTime.UtcNow.ToString "yyyyMMddHHmmssfff")

/// The global packages folder the machine's restores use: the fallback folder of the consumer's own packages folder,
/// so TorchSharp and libtorch are read from it rather than extracted again.
let private machinePackages =
    match Environment.GetEnvironmentVariable "NUGET_PACKAGES" with
    | null | "" -> Path.Combine(Environment.GetFolderPath Environment.SpecialFolder.UserProfile, ".nuget", "packages")
    | p -> p

/// Runs a program in a folder with extra environment variables: exit code, combined output and seconds taken.
let private run (workDir: string) (env: (string * string) list) (timeout: TimeSpan) (file: string) (args: string list) =
    let outcome = runProcess workDir env timeout file args
    outcome.ExitCode, outcome.Output, outcome.Seconds

/// True on Linux systems whose libstdc++ lacks the version TorchSharp's library asks for (Debian 12, Ubuntu 22.04):
/// there the packages must patch, elsewhere they must leave the library alone.
let private needsPatch =
    OperatingSystem.IsLinux()
    && (match BayesDL.NativePatch.ElfVersionPatcher.FindSystemLibStdCxx() with
        | null -> false
        | libstdcxx -> not (BayesDL.NativePatch.ElfVersionPatcher.DefinesVersion(libstdcxx, "GLIBCXX_3.4.32")))

let private weakRequirement (library: string) =
    BayesDL.NativePatch.ElfVersionPatcher.ReadRequirements(File.ReadAllBytes library)
    |> Seq.filter (fun r -> r.Version = "GLIBCXX_3.4.32")
    |> Seq.forall (fun r -> r.IsWeak)

let private accuracyIn (output: string) =
    let m = Regex.Match(output, @"accuracy (\d\.\d+)")
    if m.Success then Some(Double.Parse(m.Groups[1].Value, Globalization.CultureInfo.InvariantCulture)) else None

/// A 1-epoch Bayes-by-Backprop 784-100-10 network reaches about 0.87 test accuracy on the bundled subset (0.867 and
/// 0.875 in two unseeded runs); 0.8 is far above chance (0.1) and below what any working fit gives.
let private minimumAccuracy = 0.8

let private consoleProgram = """using BayesDL.Builders;
using BayesDL.Data;
using BayesDL.Metrics;

using var train = Mnist.LoadSubset("train");
using var test = Mnist.LoadSubset("test");
var fit = ModelBuilder.Sequential()
    .BayesLinear(784, 100, prior: Priors.Normal(0, 1)).Relu()
    .BayesLinear(100, 10)
    .WithLikelihood(Likelihoods.Categorical())
    .FitVariational(train, new VariationalFitOptions(Epochs: 1, Seed: 1));
using var predictive = fit.Model.Predict(test.Inputs, 10);
using var mean = predictive.Mean();
Console.WriteLine($"accuracy {ClassificationMetrics.Accuracy(mean, test.Targets):F4}");
"""

let private consoleProject = sprintf """<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <OutputType>Exe</OutputType>
    <TargetFramework>net10.0</TargetFramework>
    <ImplicitUsings>enable</ImplicitUsings>
    <Nullable>enable</Nullable>
  </PropertyGroup>
  <ItemGroup>
    <PackageReference Include="BayesDL.Core" Version="%s" />
  </ItemGroup>
</Project>
"""

let private fsharpScriptTemplate = """#i "nuget: {FEED}"
#r "nuget: BayesDL.Dsl, {VERSION}"
open BayesDL.Data
open BayesDL.Dsl

let train, test = Mnist.LoadSubset "train", Mnist.LoadSubset "test"
let fitted =
    bayes {
        network (bayesLinear 784L 100L >> Activation.relu >> bayesLinear 100L 10L)
        prior (Normal(0., 1.))
        likelihood categorical
        variational meanField
    }
    |> Model.fitVariational (vi { epochs 1; seed 1L }) BayesDL.Engine.ComputePolicy.Default train
    |> Result.defaultWith (fun e -> failwith e.Message)
let p = fitted.Model.Predict(test.Inputs, 10)
printfn "accuracy %.4f" (BayesDL.Metrics.ClassificationMetrics.Accuracy(p.Mean(), test.Targets))
"""

let private fsharpScript (feed: string) = fsharpScriptTemplate.Replace("{FEED}", feed).Replace("{VERSION}", version)

/// Packs once for every test in this class; removes the feed, the consumers and this version's extracted packages.
type PackedFeed() =
    let root = Path.Combine(Path.GetTempPath(), "bayesdl-consumer-" + Guid.NewGuid().ToString("N"))
    let feed = Path.Combine(root, "feed")
    let packages = Path.Combine(root, "packages")
    do
        Directory.CreateDirectory feed |> ignore
        // The consumers' own packages folder, falling back to the machine's for everything already there; the local
        // feed is added to the sources the machine's NuGet configuration already has (nothing is cleared).
        File.WriteAllText(Path.Combine(root, "nuget.config"), sprintf """<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <config><add key="globalPackagesFolder" value="%s" /></config>
  <fallbackPackageFolders><add key="machine" value="%s" /></fallbackPackageFolders>
  <packageSources><add key="bayesdl-local" value="%s" /></packageSources>
</configuration>
""" packages machinePackages feed)
    let packCode, packOutput, packSeconds =
        run repoRoot [] (TimeSpan.FromMinutes 10.0) dotnetHost
            [ "pack"; Path.Combine(repoRoot, "BayesDL.sln"); "--no-build"; "-c"; "Debug"; "-o"; feed; "-p:PackageVersion=" + version ]
    member _.Root = root
    member _.Feed = feed
    member _.Packages = packages
    member _.Pack = packCode, packOutput, packSeconds
    interface IDisposable with
        member _.Dispose() =
            try Directory.Delete(root, true) with _ -> ()
            // dotnet fsi restores into the machine's packages folder; drop this run's versions of our packages there.
            for id in [ "bayesdl.core"; "bayesdl.dsl"; "bayesdl.plotting"; "bayesdl.cli" ] do
                try Directory.Delete(Path.Combine(machinePackages, id, version.ToLowerInvariant()), true) with _ -> ()

type PackageConsumerTests(packed: PackedFeed, log: ITestOutputHelper) =
    let requirePacked () =
        let code, output, _ = packed.Pack
        Assert.True((code = 0), sprintf "dotnet pack exited with %d:\n%s" code output)

    interface IClassFixture<PackedFeed>

    [<Fact>]
    member _.``pack makes the four packages with symbols, the package README, the licence and the native patch`` () =
        requirePacked ()
        let _, _, seconds = packed.Pack
        log.WriteLine(sprintf "dotnet pack --no-build: %.1f s" seconds)
        for id in [ "BayesDL.Core"; "BayesDL.Dsl"; "BayesDL.Plotting"; "BayesDL.Cli" ] do
            let nupkg = Path.Combine(packed.Feed, sprintf "%s.%s.nupkg" id version)
            Assert.True(File.Exists nupkg, sprintf "%s missing from %s" nupkg packed.Feed)
            Assert.True(File.Exists(Path.ChangeExtension(nupkg, ".snupkg")), sprintf "no symbol package beside %s" nupkg)
            use zip = Compression.ZipFile.OpenRead nupkg
            let names = zip.Entries |> Seq.map (fun e -> e.FullName) |> Set.ofSeq
            Assert.Contains("README.md", names)
            let nuspec = zip.Entries |> Seq.find (fun e -> e.FullName.EndsWith ".nuspec")
            use reader = new StreamReader(nuspec.Open())
            let text = reader.ReadToEnd()
            Assert.Contains("""<license type="expression">MIT</license>""", text)
            if id = "BayesDL.Core" then
                for asset in [ "buildTransitive/BayesDL.Core.targets";
                               "buildTransitive/ElfVersionPatcher.cs"; "lib/net10.0/BayesDL.Core.xml"
                               "contentFiles/any/any/data/mnist-subset-train-images-idx3-ubyte.gz" ] do
                    Assert.True(names.Contains asset, sprintf "%s lacks %s; it has %A" nupkg asset names)
                Assert.Contains("TorchSharp-cpu", text)
                // PyTorchWeights reads state dicts through PyBridge: a consumer restores it with the core.
                Assert.Contains("<dependency id=\"TorchSharp.PyBridge\" version=\"1.4.4\"", text)
                Assert.DoesNotContain("ScottPlot", text)

    [<Fact>]
    member _.``a fresh C# console project restores, builds and runs a Bayes-by-Backprop fit from the packages`` () =
        requirePacked ()
        let app = Path.Combine(packed.Root, "console")
        Directory.CreateDirectory app |> ignore
        File.WriteAllText(Path.Combine(app, "Consumer.csproj"), consoleProject version)
        File.WriteAllText(Path.Combine(app, "Program.cs"), consoleProgram)
        let code, output, seconds = run app [] (TimeSpan.FromMinutes 10.0) dotnetHost [ "run" ]
        log.WriteLine(sprintf "dotnet run (restore, build, fit): %.1f s\n%s" seconds output)
        Assert.True((code = 0), sprintf "dotnet run exited with %d:\n%s" code output)
        match accuracyIn output with
        | Some a -> Assert.True(a >= minimumAccuracy, sprintf "accuracy %.4f below %.2f:\n%s" a minimumAccuracy output)
        | None -> failwithf "no accuracy line in:\n%s" output
        // The engine loaded from the consumer's own output folder: the package's build targets patched that copy
        // exactly when this system needs it.
        let native = Directory.GetFiles(Path.Combine(app, "bin"), "libLibTorchSharp.so", SearchOption.AllDirectories)
        if OperatingSystem.IsLinux() then
            Assert.NotEmpty native
            for library in native do
                Assert.True((weakRequirement library = needsPatch),
                            sprintf "%s: GLIBCXX_3.4.32 requirement weak = %b, but this system %s it patched" library (not needsPatch)
                                (if needsPatch then "needs" else "does not need"))

    [<Fact>]
    member _.``a fresh F# script references the DSL package with #r nuget and runs a Bayes-by-Backprop fit`` () =
        requirePacked ()
        let folder = Path.Combine(packed.Root, "script")
        Directory.CreateDirectory folder |> ignore
        let script = Path.Combine(folder, "fit.fsx")
        File.WriteAllText(script, fsharpScript packed.Feed)
        // A fresh local application data folder: the patched engine copy (where needed) is made by this run, not reused.
        let dataHome = Path.Combine(packed.Root, "xdg-data")
        let env = [ "XDG_DATA_HOME", dataHome ]
        let code, output, seconds = run folder env (TimeSpan.FromMinutes 10.0) dotnetHost [ "fsi"; "--quiet"; script ]
        log.WriteLine(sprintf "dotnet fsi (restore, fit): %.1f s\n%s" seconds output)
        Assert.True((code = 0), sprintf "dotnet fsi exited with %d:\n%s" code output)
        match accuracyIn output with
        | Some a -> Assert.True(a >= minimumAccuracy, sprintf "accuracy %.4f below %.2f:\n%s" a minimumAccuracy output)
        | None -> failwithf "no accuracy line in:\n%s" output
        // Without an output folder the core made its patched copy in the (fresh) local application data folder, and
        // only where the system needs one.
        let copies =
            let folder = Path.Combine(dataHome, "BayesDL", "native")
            if Directory.Exists folder then Directory.GetFiles(folder, "libLibTorchSharp.so", SearchOption.AllDirectories) else [||]
        if needsPatch then
            Assert.True(copies.Length = 1 && weakRequirement copies[0],
                        sprintf "expected one patched copy under %s; found %A" dataHome copies)
        else Assert.Empty copies

    [<Fact>]
    member _.``the bayesdl tool installs from the feed and runs its quickstart`` () =
        requirePacked ()
        let tools = Path.Combine(packed.Root, "tools")
        let code, output, seconds =
            run packed.Root [] (TimeSpan.FromMinutes 10.0) dotnetHost
                [ "tool"; "install"; "--tool-path"; tools; "--add-source"; packed.Feed; "BayesDL.Cli"; "--version"; version ]
        log.WriteLine(sprintf "dotnet tool install: %.1f s\n%s" seconds output)
        Assert.True((code = 0), sprintf "dotnet tool install exited with %d:\n%s" code output)
        let bayesdl = Path.Combine(tools, if OperatingSystem.IsWindows() then "bayesdl.exe" else "bayesdl")
        // From a folder with no data/ above it: the tool must find the subset it carries.
        let elsewhere = Path.Combine(packed.Root, "elsewhere")
        Directory.CreateDirectory elsewhere |> ignore
        let code, output, seconds = run elsewhere [] (TimeSpan.FromMinutes 10.0) bayesdl [ "quickstart"; "--epochs"; "1" ]
        log.WriteLine(sprintf "bayesdl quickstart --epochs 1: %.1f s\n%s" seconds output)
        Assert.True((code = 0), sprintf "bayesdl quickstart exited with %d:\n%s" code output)
        Assert.Contains("accuracy", output.ToLowerInvariant())
