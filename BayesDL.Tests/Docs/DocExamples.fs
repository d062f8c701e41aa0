/// The fenced code blocks of README.md and docs/*.md, and how their F# and C# examples run.
/// A page's F# blocks run top to bottom as one script with `dotnet fsi`, its C# blocks as one script through the CLI's
/// `bayesdl script`, both in quick mode (BAYESDL_QUICK=1) with one engine thread, from a fresh temporary working
/// directory. Each block is preceded by a line directive naming the page and the block's first line, so compile errors
/// and stack traces point into the Markdown file; nothing else is added to the code a reader sees.
module BayesDL.Tests.Docs.DocExamples

open System
open System.Diagnostics
open System.IO
open System.Text.RegularExpressions
open BayesDL.Tests.TestSupport

/// One fenced block: its page (full path), the 1-based line of its opening fence, its info string and its lines.
type CodeBlock = { Page: string; FenceLine: int; Info: string; Lines: string list }

/// The languages whose blocks run, by info string.
type Language =
    | FSharp
    | CSharp

    member this.Info = match this with FSharp -> "fsharp" | CSharp -> "csharp"

    static member OfInfo(info: string) =
        match info with
        | "fsharp" -> Some FSharp
        | "csharp" -> Some CSharp
        | _ -> None

/// Info strings a block may carry: the two that run, and those that are read, not run (`text` for fragments that
/// cannot run alone, such as a signature). Anything else (`fs`, `c#`, no info string) would escape the test silently.
let allowedInfo = set [ "fsharp"; "csharp"; "sh"; "text"; "mermaid"; "json"; "python" ]

/// README.md and every docs/*.md, as full paths, README first.
let pages () =
    let docs = Path.Combine(repoRoot, "docs")
    let pageFiles = if Directory.Exists docs then Directory.GetFiles(docs, "*.md") |> Array.sort |> List.ofArray else []
    Path.Combine(repoRoot, "README.md") :: pageFiles

/// The page's path relative to the repository root, with forward slashes (for test names and messages).
let relative (page: string) = Path.GetRelativePath(repoRoot, page).Replace('\\', '/')

/// The fenced blocks of a Markdown text (fences of three backticks at the start of a line).
/// An unclosed fence is an error naming the page and the fence's line.
let parse (page: string) (text: string) : CodeBlock list =
    let lines = text.Replace("\r\n", "\n").Split('\n')
    let rec scan i acc =
        if i >= lines.Length then List.rev acc
        elif lines[i].StartsWith "```" then
            let info = lines[i].Substring(3).Trim()
            let close = seq { i + 1 .. lines.Length - 1 } |> Seq.tryFind (fun j -> lines[j].TrimEnd() = "```")
            match close with
            | Some j -> scan (j + 1) ({ Page = page; FenceLine = i + 1; Info = info; Lines = List.ofArray lines[i + 1 .. j - 1] } :: acc)
            | None -> failwithf "%s: the code fence opened at line %d is never closed" (relative page) (i + 1)
        else scan (i + 1) acc
    scan 0 []

/// The fenced blocks of a page file.
let blocksOf (page: string) = parse page (File.ReadAllText page)

/// The blocks of `page` in `language`, in page order.
let blocksIn (language: Language) (page: string) =
    blocksOf page |> List.filter (fun b -> b.Info = language.Info)

/// The script that runs `blocks` in order: before each block a line directive giving its page and first code line.
let script (language: Language) (blocks: CodeBlock list) =
    [ for b in blocks do
        match language with
        | FSharp -> sprintf "# %d \"%s\"" (b.FenceLine + 1) b.Page
        | CSharp -> sprintf "#line %d \"%s\"" (b.FenceLine + 1) b.Page
        yield! b.Lines ]
    |> String.concat "\n"

/// The built CLI (C# examples run through its `script` command) and DSL (scripts/references.fsx loads its output).
let cliDll = Path.Combine(repoRoot, "BayesDL.Cli", "bin", "Debug", "net10.0", "bayesdl.dll")
let dslDll = Path.Combine(repoRoot, "BayesDL.Dsl", "bin", "Debug", "net10.0", "BayesDL.Dsl.dll")

/// Quick mode keeps a page's examples to seconds; this only stops a hung example from hanging the suite.
let private timeout = TimeSpan.FromMinutes 5.0

/// The outcome of one page's examples in one language.
type RunOutcome = ProcessOutcome

/// Runs `dotnet args` in `workDir` with BAYESDL_QUICK=1, the repository's data folder as BAYESDL_DATA (a script in the
/// repository root finds data/ by walking up from the working directory; a temporary one cannot) and one engine thread
/// (OMP_NUM_THREADS=1: the examples' tensors are small, and on a shared CI machine a second OpenMP thread spinning at
/// barriers made a page's examples take four times the CPU time).
let private runDotnet (workDir: string) (args: string list) =
    let env = [ "BAYESDL_QUICK", "1"; "BAYESDL_DATA", Path.Combine(repoRoot, "data"); "OMP_NUM_THREADS", "1" ]
    runProcess workDir env timeout dotnetHost args

/// Writes `blocks` (all from one page, in `language`) as one script in a fresh temporary folder and runs it there:
/// F# with `dotnet fsi`, resolving `#load "scripts/references.fsx"` against the repository root as a script saved there
/// would; C# with the built CLI's `script` command.
let run (language: Language) (blocks: CodeBlock list) : RunOutcome =
    use dir = new TempDir()
    match language with
    | FSharp ->
        let file = dir.File "examples.fsx"
        File.WriteAllText(file, script language blocks)
        runDotnet dir.Path [ "fsi"; "--quiet"; "--lib:" + repoRoot; file ]
    | CSharp ->
        let file = dir.File "examples.csx"
        File.WriteAllText(file, script language blocks)
        runDotnet dir.Path [ cliDll; "script"; file ]

/// The block a failure points at: the line of the first compile error in the page (`page(line,col): error` from
/// fsi, `page(line,col): CSnnnn` from the CLI), else of the first stack frame in the page (`page:line N`), mapped to
/// the block holding that line; None when the output names no line of the page.
let failingBlock (blocks: CodeBlock list) (output: string) =
    match blocks with
    | [] -> None
    | first :: _ ->
        let page = Regex.Escape first.Page
        [ page + @"\((\d+),\d+\): (?:error|CS\d+)"; page + @":line (\d+)" ]
        |> List.tryPick (fun pattern ->
            let m = Regex.Match(output, pattern)
            if m.Success then Some(int m.Groups[1].Value) else None)
        |> Option.bind (fun line -> blocks |> List.tryFindBack (fun b -> b.FenceLine < line))

/// The failure report: the page, the failing block's line (or every block's, when the output names none), the
/// command's exit code and time, and its output.
let report (language: Language) (blocks: CodeBlock list) (outcome: RunOutcome) =
    let page = match blocks with b :: _ -> relative b.Page | [] -> "(no page)"
    let where =
        match failingBlock blocks outcome.Output with
        | Some b -> sprintf "%s: the %s block at line %d fails" page language.Info b.FenceLine
        | None ->
            sprintf "%s: one of the %s blocks at lines %s fails" page language.Info
                (blocks |> List.map (fun b -> string b.FenceLine) |> String.concat ", ")
    sprintf "%s (exit code %d after %.1f s; the page's %s blocks run as one script, in quick mode)\n%s"
        where outcome.ExitCode outcome.Seconds language.Info outcome.Output
