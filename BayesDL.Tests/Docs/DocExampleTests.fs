/// Docs that cannot rot: every ```fsharp and ```csharp block of README.md and docs/*.md runs in quick mode (one script
/// per page and language, see DocExamples), no block hides behind an unknown info string, the README keeps its shape
/// and the commands CI runs, every relative link resolves, and docs/architecture.md draws the namespace graph that
/// BayesDL.Core's `using` directives give today.
/// Needs the Debug build of BayesDL.Dsl and BayesDL.Cli (`dotnet build BayesDL.sln`, which `dotnet test BayesDL.sln`
/// does first).
module BayesDL.Tests.Docs.DocExampleTests

open System
open System.IO
open System.Text.RegularExpressions
open Xunit
open BayesDL.Tests.TestSupport
open BayesDL.Tests.Docs.DocExamples

/// One case per page and language that has blocks: (page relative to the repository root, info string).
let pagesWithExamples () : seq<obj[]> =
    seq {
        for page in pages () do
            for language in [ FSharp; CSharp ] do
                if not (List.isEmpty (blocksIn language page)) then
                    yield [| box (relative page); box language.Info |]
    }

[<Theory>]
[<MemberData(nameof pagesWithExamples)>]
let ``the page's examples run in quick mode`` (page: string, info: string) =
    let language = (Language.OfInfo info).Value
    let blocks = blocksIn language (Path.Combine(repoRoot, page))
    let built = match language with FSharp -> dslDll | CSharp -> cliDll
    Assert.True(File.Exists built, sprintf "%s is missing: run `dotnet build BayesDL.sln` before the docs tests" built)
    let outcome = run language blocks
    Assert.True((outcome.ExitCode = 0), report language blocks outcome)

[<Fact>]
let ``every fenced block says which language it is`` () =
    let unknown =
        [ for page in pages () do
            for b in blocksOf page do
                if not (allowedInfo.Contains b.Info) then
                    yield sprintf "%s line %d: ```%s" (relative page) b.FenceLine b.Info ]
    Assert.True(List.isEmpty unknown,
        sprintf "fenced blocks with an info string outside %A (F# and C# must be `fsharp` and `csharp` so that they run; a fragment \
                 that cannot run alone is `text`):\n%s"
            allowedInfo (String.concat "\n" unknown))

/// A page with a good block and a bad one (at a known line) run through the same path as the docs; the report must name
/// the page and the bad block's fence line.
[<Theory>]
[<InlineData("fsharp", "let b : int = \"not a number\"")>] // compile error (fsi: page(line,col): error FS0001)
[<InlineData("fsharp", "failwith \"boom\" |> ignore")>] // run-time failure (stack frame page:line N)
[<InlineData("csharp", "int b = \"not a number\";")>] // compile error (CLI: page(line,col): CS0029)
let ``a failing block is reported with its page and line`` (info: string, badLine: string) =
    let language = (Language.OfInfo info).Value
    use dir = new TempDir()
    let page = dir.File "bad.md"
    let good = match language with FSharp -> "let a = 1" | CSharp -> "var a = 1;"
    File.WriteAllText(page, sprintf "# A page\n\n```%s\n%s\n```\n\nText.\n\n```%s\n%s\n```\n" info good info badLine)
    let blocks = blocksIn language page
    Assert.Equal<int list>([ 3; 9 ], blocks |> List.map (fun b -> b.FenceLine))
    let outcome = run language blocks
    Assert.NotEqual(0, outcome.ExitCode)
    let message = report language blocks outcome
    Assert.Contains(sprintf "bad.md: the %s block at line 9 fails" info, message)

[<Fact>]
let ``the README starts with its title, stays short and keeps the commands CI and users run`` () =
    let lines = File.ReadAllLines(Path.Combine(repoRoot, "README.md"))
    Assert.StartsWith("# ", lines[0])
    Assert.True(lines.Length <= 150, sprintf "README.md has %d lines; keep it to 150 and move detail to docs/" lines.Length)
    // .ci/run runs the test command; the quickstart is the first thing a new user types.
    for command in [ "dotnet run --project BayesDL.Cli -- quickstart"; "dotnet test BayesDL.sln" ] do
        Assert.True(Array.contains command lines, sprintf "README.md no longer has the line `%s`" command)

/// Markdown links `[text](target)` whose target is in the repository (no scheme): (file part, anchor part), either may
/// be empty (`#anchor` points into the same page).
let private localLinks (text: string) =
    [ for m in Regex.Matches(text, @"\]\(([^)\s]+)\)") do
        let target = m.Groups[1].Value
        if not (target.Contains "://" || target.StartsWith "mailto:") then
            match target.Split('#', 2) with
            | [| file; anchor |] -> yield file, anchor
            | parts -> yield parts[0], "" ]

/// GitHub's anchors of a Markdown page's headings: lower case, punctuation other than `-` and `_` dropped, spaces as `-`.
let private anchors (page: string) =
    set [ for line in File.ReadLines page do
            let m = Regex.Match(line, @"^#{1,6}\s+(.*?)\s*$")
            if m.Success then
                yield Regex.Replace(m.Groups[1].Value.ToLowerInvariant(), @"[^\p{L}\p{N}\s_-]", "").Replace(' ', '-') ]

[<Fact>]
let ``the README links every docs page and every link into the repository resolves`` () =
    let readme = File.ReadAllText(Path.Combine(repoRoot, "README.md"))
    let unlisted =
        pages () |> List.tail |> List.map relative |> List.filter (fun p -> not (readme.Contains(sprintf "](%s)" p)))
    Assert.True(List.isEmpty unlisted, sprintf "README.md's map of docs/ misses %A" unlisted)
    let broken =
        [ for page in pages () do
            for file, anchor in localLinks (File.ReadAllText page) do
                let full = if file = "" then page else Path.GetFullPath(Path.Combine(Path.GetDirectoryName page, file))
                if not (File.Exists full || Directory.Exists full) then
                    yield sprintf "%s -> %s (no such file)" (relative page) file
                elif anchor <> "" && full.EndsWith ".md" && not ((anchors full).Contains anchor) then
                    yield sprintf "%s -> %s#%s (no such heading)" (relative page) file anchor ]
    Assert.True(List.isEmpty broken, sprintf "links to nothing:\n%s" (String.concat "\n" broken))

/// BayesDL.Core's namespace graph: an edge A -> B for every `using BayesDL.B;` in a file of folder A (folders are
/// namespaces), self-edges left out.
let private namespaceGraph () =
    let core = Path.Combine(repoRoot, "BayesDL.Core")
    set [ for folder in Directory.GetDirectories core do
            let from = Path.GetFileName folder
            if from <> "bin" && from <> "obj" then
                for file in Directory.GetFiles(folder, "*.cs", SearchOption.AllDirectories) do
                    for line in File.ReadLines file do
                        let m = Regex.Match(line, @"^\s*(?:global\s+)?using\s+(?:static\s+)?BayesDL\.(\w+)")
                        if m.Success && m.Groups[1].Value <> from then yield from, m.Groups[1].Value ]

[<Fact>]
let ``docs/architecture.md draws the namespace graph of BayesDL.Core's using directives`` () =
    let page = Path.Combine(repoRoot, "docs", "architecture.md")
    let drawn =
        blocksOf page
        |> List.filter (fun b -> b.Info = "mermaid")
        |> List.collect (fun b -> b.Lines)
        |> List.choose (fun line ->
            let m = Regex.Match(line, @"^\s*(\w+)\s*-->\s*(\w+)\s*$")
            if m.Success then Some(m.Groups[1].Value, m.Groups[2].Value) else None)
        |> Set.ofList
    let actual = namespaceGraph ()
    Assert.False(Set.isEmpty actual, "no `using BayesDL.*` directive found under BayesDL.Core")
    let show edges = edges |> Seq.map (fun (a, b) -> sprintf "    %s --> %s" a b) |> String.concat "\n"
    Assert.True((drawn = actual),
        sprintf "docs/architecture.md's mermaid graph differs from the using directives.\nmissing:\n%s\nno longer \
                 there:\n%s\nthe whole graph today:\n%s"
            (show (Set.difference actual drawn)) (show (Set.difference drawn actual)) (show actual))
