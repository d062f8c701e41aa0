/// Runs every script in scripts/ in quick mode (BAYESDL_QUICK=1) so none rots: .fsx with `dotnet fsi`,
/// .csx with the CLI's `script` command. New scripts are picked up automatically (one case each).
/// Needs the Debug build of BayesDL.Dsl and BayesDL.Cli (`dotnet build BayesDL.sln`, which `dotnet test
/// BayesDL.sln` does first); the CLI is run from its built dll so no test triggers a rebuild.
module BayesDL.Tests.Scripts.ScriptTests

open System
open System.Diagnostics
open System.IO
open Xunit
open BayesDL.Tests.TestSupport

let private scriptsFolder = Path.Combine(repoRoot, "scripts")

/// Files that other scripts #load, not scripts of their own.
let private loadedOnly = set [ "references.fsx"; "references.csx" ]

/// Each runnable script's file name, one xunit case per script.
let allScripts () : seq<obj[]> =
    Directory.GetFiles scriptsFolder
    |> Seq.map Path.GetFileName
    |> Seq.filter (fun f -> (f.EndsWith ".fsx" || f.EndsWith ".csx") && not (loadedOnly.Contains f))
    |> Seq.sort
    |> Seq.map (fun f -> [| box f |])

let private cliDll = Path.Combine(repoRoot, "BayesDL.Cli", "bin", "Debug", "net10.0", "bayesdl.dll")
let private dslDll = Path.Combine(repoRoot, "BayesDL.Dsl", "bin", "Debug", "net10.0", "BayesDL.Dsl.dll")

/// Quick mode must keep each script to seconds; this only stops a hung script from hanging the suite.
let private timeout = TimeSpan.FromMinutes 3.0

/// Runs `dotnet args` in the repository root with BAYESDL_QUICK=1: exit code and combined output.
let private run (args: string list) =
    let outcome = runProcess repoRoot [ "BAYESDL_QUICK", "1" ] timeout dotnetHost args
    outcome.ExitCode, outcome.Output

[<Theory>]
[<MemberData(nameof allScripts)>]
let ``script runs in quick mode and exits 0`` (script: string) =
    let path = Path.Combine(scriptsFolder, script)
    let command, built =
        if script.EndsWith ".fsx" then [ "fsi"; "--quiet"; path ], dslDll
        else [ cliDll; "script"; path ], cliDll
    Assert.True(File.Exists built, sprintf "%s is missing: run `dotnet build BayesDL.sln` before the script tests" built)
    let watch = Stopwatch.StartNew()
    let code, output = run command
    Assert.True((code = 0),
                sprintf "dotnet %s exited with %d after %.1f s\n%s" (String.Join(" ", command)) code watch.Elapsed.TotalSeconds output)

[<Fact>]
let ``every lecture script exists as fsx and csx`` () =
    let names = allScripts () |> Seq.map (fun a -> string a[0]) |> Set.ofSeq
    let stems (ext: string) = names |> Set.filter (fun n -> n.EndsWith ext) |> Set.map Path.GetFileNameWithoutExtension
    let onlyOne = Set.union (Set.difference (stems ".fsx") (stems ".csx")) (Set.difference (stems ".csx") (stems ".fsx"))
    Assert.True(Set.isEmpty onlyOne, sprintf "scripts without their F#/C# twin: %A" onlyOne)

[<Fact>]
let ``the csx runner reports compile errors with line numbers and exits non-zero`` () =
    use dir = new TempDir()
    let bad = dir.File "bad.csx"
    File.WriteAllText(bad, "var ok = 1;\nint broken = \"text\";\n")
    Assert.True(File.Exists cliDll, sprintf "%s is missing: run `dotnet build BayesDL.sln` first" cliDll)
    let code, output = run [ cliDll; "script"; bad ]
    Assert.NotEqual(0, code)
    Assert.Contains("bad.csx(2,", output)
    Assert.Contains("CS0029", output)

[<Fact>]
let ``the csx runner fails on a run-time exception and resolves paths from the script folder`` () =
    use dir = new TempDir()
    File.WriteAllText(dir.File "data.txt", "42")
    let script = dir.File "throws.csx"
    File.WriteAllText(script, "var v = File.ReadAllText(Relative(\"data.txt\"));\nConsole.WriteLine(\"read \" + v);\nthrow new \
                               InvalidOperationException(\"boom\");\n")
    let code, output = run [ cliDll; "script"; script ]
    Assert.NotEqual(0, code)
    Assert.Contains("read 42", output)
    Assert.Contains("boom", output)
    Assert.Contains("throws.csx:line 3", output)
