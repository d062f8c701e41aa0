/// Conventions a reviewer would otherwise check by eye: the line limit of .editorconfig and the acronym rule of
/// docs/conventions.md, over every tracked source file.
module BayesDL.Tests.Conventions.SourceConventionsTests

open System
open System.IO
open System.Text.RegularExpressions
open Xunit
open BayesDL.Tests.TestSupport

/// Tracked C# and F# sources (code and scripts), relative to the repository root; build output and fixtures excluded.
let private sources () =
    let skip (p: string) =
        let parts = p.Split(Path.DirectorySeparatorChar)
        parts |> Array.exists (fun s -> s = "bin" || s = "obj" || s = "artifacts" || s.StartsWith "."
                                        || s = "Fixtures")
    [ for ext in [ "*.cs"; "*.fs"; "*.fsx"; "*.csx" ] do
        for f in Directory.EnumerateFiles(repoRoot, ext, SearchOption.AllDirectories) do
            let rel = Path.GetRelativePath(repoRoot, f)
            if not (skip rel) then rel ]

/// `max_line_length` of the repository's .editorconfig (its [*] section).
let private lineLimit () =
    File.ReadAllLines(Path.Combine(repoRoot, ".editorconfig"))
    |> Array.pick (fun l ->
        let m = Regex.Match(l, @"^\s*max_line_length\s*=\s*(\d+)")
        if m.Success then Some(int m.Groups[1].Value) else None)

/// Files allowed to keep lines over the limit, with how many (they may only shrink): `build/long-lines.txt`.
let private allowance () =
    let path = Path.Combine(repoRoot, "build", "long-lines.txt")
    if not (File.Exists path) then Map.empty
    else
        File.ReadAllLines path
        |> Array.filter (fun l -> l.Trim() <> "" && not (l.StartsWith "#"))
        |> Array.map (fun l -> let parts = l.Split('\t') in parts[1].Replace('/', Path.DirectorySeparatorChar), int parts[0])
        |> Map.ofArray

let private overLimit limit (rel: string) =
    File.ReadAllLines(Path.Combine(repoRoot, rel)) |> Array.filter (fun l -> l.Length > limit) |> Array.length

[<Fact>]
let ``no source file has more lines over the .editorconfig limit than its recorded allowance`` () =
    let limit = lineLimit ()
    let allowed = allowance ()
    let offenders =
        [ for rel in sources () do
            let n = overLimit limit rel
            let ok = allowed |> Map.tryFind rel |> Option.defaultValue 0
            if n > ok then sprintf "%s: %d lines over %d columns (allowed %d)" rel n limit ok ]
    Assert.True(offenders.IsEmpty,
                "Wrap these lines (or, for a file that only got shorter, lower its count in build/long-lines.txt):\n"
                + String.Join("\n", offenders))

[<Fact>]
let ``the long-line allowance names only existing files and no more lines than they have`` () =
    // An allowance above today's count would let a file grow back: the list is a ratchet that only goes down.
    let limit = lineLimit ()
    let stale =
        [ for KeyValue(rel, ok) in allowance () do
            let path = Path.Combine(repoRoot, rel)
            if not (File.Exists path) then sprintf "%s: no such file" rel
            elif overLimit limit rel < ok then sprintf "%s: allowance %d, now %d" rel ok (overLimit limit rel) ]
    Assert.True(stale.IsEmpty, "Lower these allowances in build/long-lines.txt:\n" + String.Join("\n", stale))

/// A two-letter acronym written as a word inside an identifier (`KlSchedule`, `fitMcDropout`); docs/conventions.md
/// asks for `KLSchedule`, `fitMCDropout` (lower case only at the start of a camelCase name: `klWeight`).
let private mixedAcronym = Regex(@"\b[A-Za-z]*(?:Kl|Mc)(?:[A-Z][A-Za-z]*)?\b", RegexOptions.Compiled)

/// Names of people cited in comments, which the rule does not cover.
let private surnames = set [ "McNeil"; "McElreath"; "McAllester"; "McCulloch" ]

[<Fact>]
let ``two-letter acronyms are upper case inside identifiers`` () =
    let offenders =
        // This file spells the wrong forms out to describe them, so it is the one file left out.
        [ for rel in sources () |> List.filter (fun r -> Path.GetFileName r <> "SourceConventionsTests.fs") do
            let lines = File.ReadAllLines(Path.Combine(repoRoot, rel))
            for i in 0 .. lines.Length - 1 do
                for m in mixedAcronym.Matches(lines[i]) do
                    if not (surnames.Contains m.Value) then sprintf "%s:%d: %s" rel (i + 1) m.Value ]
    Assert.True(offenders.IsEmpty, "Write KL and MC in upper case inside names:\n" + String.Join("\n", offenders |> List.truncate 40))
