/// The command line's conventions, in every command: strict parsing (an unknown or misspelt option is an error naming it and
/// the nearest valid one), values of the wrong type named with their option, size options bounded by the memory they need,
/// and one set of exit codes: 0 success, 1 failure at run time, 2 usage error or bad input (bad files included).
module BayesDL.Tests.Cli.CommandLineTests

open System
open System.IO
open Xunit
open BayesDL.Cli
open BayesDL.Tests.TestSupport
open BayesDL.Tests.Cli.CliSupport

/// Runs `bayesdl args` and asserts exit code 2 with output holding every fragment.
let private usageError (args: string list) (fragments: string list) =
    let code, output = run args
    Assert.True((code = ExitCodes.Usage), sprintf "expected exit code 2 for %A, got %d:\n%s" args code output)
    for f in fragments do
        Assert.Contains(f, output)

[<Fact>]
let ``an unknown or misspelt option is an error naming it and the nearest valid option, in every command`` () =
    engine ()
    use dir = new TempDir()
    let model, images, labels = fixture dir
    let evaluate = [ "evaluate"; model; "--images"; images; "--labels"; labels ]
    // Before, `--sampels 5` ran with the default 100 samples and exited 0.
    usageError (evaluate @ [ "--sampels"; "5" ]) [ "unknown option '--sampels'"; "did you mean '--samples'?" ]
    usageError (evaluate @ [ "--jsno" ]) [ "unknown option '--jsno'"; "did you mean '--json'?" ]
    usageError (evaluate @ [ "--Seed"; "3" ]) [ "unknown option '--Seed'"; "did you mean '--seed'?" ]
    // Nothing close: no guess, but the command's options.
    usageError (evaluate @ [ "--bogus" ]) [ "unknown option '--bogus' for `bayesdl evaluate`."; "--samples"; "--no-header"; "--help/-h" ]
    usageError (evaluate @ [ "-x" ]) [ "unknown option '-x'" ]
    usageError [ "quickstart"; "--pionts"; "3" ] [ "unknown option '--pionts' for `bayesdl quickstart`"; "did you mean '--points'?" ]
    usageError [ "script"; "x.csx"; "--quik" ] [ "unknown option '--quik'"; "did you mean '--quick'?" ]
    // A misspelt command gets Spectre's suggestion, with the same exit code.
    usageError [ "evaluat"; model ] [ "Did you mean 'evaluate'?" ]
    // Arguments after `--` are not silently ignored either.
    usageError (evaluate @ [ "--"; "extra" ]) [ "unexpected argument(s) 'extra'"; "bayesdl evaluate" ]

[<Fact>]
let ``a value of the wrong type names its option and what it must be`` () =
    engine ()
    use dir = new TempDir()
    let model, images, labels = fixture dir
    let evaluate = [ "evaluate"; model; "--images"; images; "--labels"; labels ]
    // Before: "Failed to convert 'abc' to Int32." without the option.
    usageError (evaluate @ [ "--samples"; "abc" ]) [ "--samples abc: expected a whole number, e.g. --samples 100" ]
    usageError (evaluate @ [ "--seed=1.5" ]) [ "--seed 1.5: expected a whole number" ]
    usageError (evaluate @ [ "--samples"; "99999999999" ]) [ "--samples 99999999999: expected a whole number" ]
    usageError (evaluate @ [ "--samples" ]) [ "--samples needs a value" ]
    usageError [ "quickstart"; "--points"; "many" ] [ "--points many: expected a whole number, e.g. --points 50" ]
    usageError [ "quickstart"; "--points"; "0" ] [ "--points 0" ]

[<Fact>]
let ``a size option whose arrays would not fit in memory is refused naming the bytes needed`` () =
    engine ()
    use dir = new TempDir()
    let model, images, labels = fixture dir
    // 2e9 draws x 40 images x 3 classes of float32: terabytes, refused before anything is allocated.
    usageError [ "evaluate"; model; "--images"; images; "--labels"; labels; "--samples"; "2000000000" ]
        [ "--samples 2000000000: the predictive for 40 images x 3 classes (T x N x K x 4 bytes"; "of memory available"; "or fewer" ]
    let code, output = run [ "evaluate"; model; "--images"; images; "--labels"; labels; "--samples"; "2000000000" ]
    // The largest T that fits is named, and it does fit.
    let largest = output.Substring(output.IndexOf "use --samples " + "use --samples ".Length).Split(' ')[0] |> int64
    Assert.True(largest >= 1L && largest < 2000000000L, output)
    usageError [ "quickstart"; "--points"; "2000000000"; "--epochs"; "0" ] [ "--points 2000000000"; "bytes"; "memory available" ]
    Assert.Equal(ExitCodes.Usage, code)

[<Fact>]
let ``bad files exit 2 with the file, what was expected and what was found`` () =
    engine ()
    use dir = new TempDir()
    let model, images, labels = fixture dir
    // Gzip garbage as images: before, "unsupported compression method" without the file.
    let garbage = dir.File "garbage-idx3-ubyte.gz"
    File.WriteAllBytes(garbage, Array.append [| 0x1fuy; 0x8buy |] (Array.init 40 byte))
    usageError [ "evaluate"; model; "--images"; garbage; "--labels"; labels ] [ "--images " + garbage + ": expected a valid gzip stream" ]
    // A header promising more images than the file holds: before, an OverflowException or a huge allocation.
    let absurd = dir.File "absurd-idx3-ubyte"
    writeIdx absurd [ Int32.MaxValue; 28; 28 ] (Array.zeroCreate 64) false
    usageError [ "evaluate"; model; "--images"; absurd; "--labels"; labels ] [ "--images " + absurd; "2147483647 records of 784 bytes" ]
    // A CSV with NaN: before, scored as if NaN were a pixel.
    let csv = dir.File "images.csv"
    let row (i: int) = String.Join(",", Array.init 16 (fun j -> if i = 3 && j = 5 then "NaN" else "0.5")) + ",1"
    File.WriteAllLines(csv, Array.append [| String.Join(",", Array.init 17 (sprintf "c%d")) |] (Array.init 10 row))
    usageError [ "evaluate"; model; "--images"; csv ] [ "--images " + csv + ": expected a finite number"; "line 5, column 6" ]
    // A missing model file, and a missing argument.
    usageError [ "evaluate"; dir.File "none.bnn"; "--images"; images; "--labels"; labels ] [ "MODEL"; "none.bnn"; "not found" ]
    usageError [ "evaluate" ] [ "missing required argument 'MODEL'" ]

[<Fact>]
let ``success exits 0, a script that fails at run time exits 1, and one that does not compile exits 2`` () =
    engine ()
    use dir = new TempDir()
    let model, images, labels = fixture dir
    let code, output = run [ "evaluate"; model; "--images"; images; "--labels"; labels; "--samples"; "5"; "--json" ]
    Assert.True((code = ExitCodes.Success), output)
    let throws = dir.File "throws.csx"
    File.WriteAllText(throws, "if (Args.Count == 2 && Args[1] == \"--flag\") throw new InvalidOperationException(\"boom \" + Args[0]);\n")
    // Arguments after `--` reach the script (here they make it throw).
    let code, _ = run [ "script"; throws; "first"; "--"; "--flag" ]
    Assert.Equal(ExitCodes.Failure, code)
    let broken = dir.File "broken.csx"
    File.WriteAllText(broken, "int broken = \"text\";\n")
    let code, _ = run [ "script"; broken ]
    Assert.Equal(ExitCodes.Usage, code)
    let code, _ = run [ "script"; throws ]
    Assert.Equal(ExitCodes.Success, code)

[<Fact>]
let ``an option given twice is an error naming it and both uses, in every command, not the last value silently`` () =
    engine ()
    use dir = new TempDir()
    let model, images, labels = fixture dir
    let evaluate = [ "evaluate"; model; "--images"; images; "--labels"; labels ]
    // Before, `--samples 3 --samples 4` ran with 4 samples and exited 0.
    usageError (evaluate @ [ "--samples"; "3"; "--samples"; "4" ]) [ "--samples is given 2 times (--samples 3, --samples 4): give it once" ]
    usageError (evaluate @ [ "--seed=1"; "--samples"; "5"; "--seed"; "2" ]) [ "--seed is given 2 times (--seed=1, --seed 2)" ]
    usageError (evaluate @ [ "--json"; "--json" ]) [ "--json is given 2 times"; "bayesdl evaluate --help" ]
    usageError [ "evaluate"; model; "--images"; images; "--images"; labels ] [ "--images is given 2 times" ]
    usageError
        [ "quickstart"; "--epochs"; "0"; "--epochs"; "1" ]
        [ "--epochs is given 2 times (--epochs 0, --epochs 1)"; "bayesdl quickstart" ]
    let script = dir.File "args.csx"
    File.WriteAllText(
        script,
        "if (Args.Count != 1 || Args[0] != \"--quick\") "
        + "throw new InvalidOperationException(\"args \" + string.Join(\" \", Args));\n")
    usageError [ "script"; script; "--quick"; "--quick" ] [ "--quick is given 2 times"; "bayesdl script" ]
    // After `--` the arguments are the script's: its own `--quick` does not count as a second.
    let code, output = run [ "script"; script; "--quick"; "--"; "--quick" ]
    Assert.True((code = ExitCodes.Success), output)

[<Fact>]
let ``error messages go to standard error and results to standard output`` () =
    engine ()
    use dir = new TempDir()
    let model, images, labels = fixture dir
    let evaluate = [ "evaluate"; model; "--images"; images; "--labels"; labels ]
    // Before, every message went to standard output, where a script reading the results would take it for one.
    for args, fragment in
        [ evaluate @ [ "--sampels"; "5" ], "unknown option '--sampels'"
          evaluate @ [ "--samples"; "abc" ], "--samples abc"
          evaluate @ [ "--samples"; "0" ], "--samples 0"
          [ "evaluate"; dir.File "none.bnn"; "--images"; images ], "not found"
          [ "evaluat"; model ], "Did you mean 'evaluate'?" ] do
        let code, out, err = runStreams args
        Assert.True((code = ExitCodes.Usage), sprintf "%A: exit %d\nout: %s\nerr: %s" args code out err)
        Assert.Contains(fragment, err)
        Assert.Equal("", out)
    let code, out, err = runStreams (evaluate @ [ "--samples"; "5"; "--json" ])
    Assert.True((code = ExitCodes.Success), err)
    Assert.Equal("", err)
    Assert.StartsWith("{", out.Trim())

[<Fact>]
let ``the bayesdl process prints its errors on standard error, nothing on standard output`` () =
    let cli = Path.Combine(repoRoot, "BayesDL.Cli", "bin", "Debug", "net10.0", "bayesdl.dll")
    Assert.True(File.Exists cli, sprintf "%s is missing: run `dotnet build BayesDL.sln` first" cli)
    use dir = new TempDir()
    let outcome = runProcess dir.Path [] (TimeSpan.FromMinutes 2.0) dotnetHost [ cli; "quickstart"; "--pionts"; "3" ]
    Assert.True((outcome.ExitCode = ExitCodes.Usage), outcome.Output)
    // runProcess reports "stdout:\n...\nstderr:\n...".
    let split = outcome.Output.IndexOf "\nstderr:\n"
    let out, err = outcome.Output.Substring(0, split), outcome.Output.Substring split
    Assert.Equal("stdout:\n", out)
    Assert.Contains("unknown option '--pionts'", err)
