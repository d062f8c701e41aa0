/// BayesDL.Core's namespaces form a DAG: listed from the bottom up, each may use only the ones before it. A cycle or an
/// upward dependency fails this test with the types that cause it (checked on the compiled assembly with NetArchTest).
module BayesDL.Tests.Architecture.NamespaceGraphTests

open System.Reflection
open Xunit
open NetArchTest.Rules

/// The layering, bottom first. A new namespace goes where its dependencies put it; docs/architecture.md draws it.
let layering =
    [ "Validation"; "NativePatch"; "Engine"; "IO"; "Transforms"; "Distributions"; "KL"; "Modeling"; "Data"; "Layers"; "Networks";
      "Predictive"; "Objectives"; "Inference"
      "Training"; "Posthoc"; "Metrics"; "Mcmc"; "Swag"; "Models"; "Calibration"; "Variational"; "Builders"; "Examples" ]

/// Upward dependencies that remain until the work that removes them lands, each with that work. The test fails when
/// one of them is gone too (so the list only shrinks) and for any dependency not listed.
let knownUpward : Set<string * string> = Set.empty

let private core = typeof<BayesDL.Engine.ComputePolicy>.Assembly

/// Every (namespace, namespace above it, type) where a type of `assembly` in a namespace of `order` uses a namespace
/// later in `order`. A type's own namespace is matched exactly; dependencies by prefix (so no namespace name may start with another's).
let upwardDependencies (assembly: Assembly) (order: string list) =
    [ for i, lower in List.indexed order do
        for upper in List.skip (i + 1) order do
            let result =
                Types.InAssembly(assembly).That().ResideInNamespaceMatching(sprintf "^BayesDL\\.%s$" lower)
                    .ShouldNot().HaveDependencyOnAny([| "BayesDL." + upper |]).GetResult()
            if not result.IsSuccessful then
                for t in result.FailingTypeNames do yield lower, upper, t ]

let private describe (violations: (string * string * string) list) =
    violations |> List.map (fun (lower, upper, t) -> sprintf "%s (in BayesDL.%s) uses BayesDL.%s" t lower upper) |> String.concat "\n"

[<Fact>]
let ``every namespace of BayesDL.Core is in the layering`` () =
    let namespaces =
        core.GetTypes() |> Seq.map (fun t -> t.Namespace) |> Seq.filter (fun n -> n <> null && n.StartsWith "BayesDL.")
        |> Seq.map (fun n -> n.Substring "BayesDL.".Length) |> Set.ofSeq
    let missing = Set.difference namespaces (Set.ofList layering)
    Assert.True(Set.isEmpty missing, sprintf "namespaces not placed in the layering: %A" missing)

[<Fact>]
let ``no namespace uses one above it, so there is no cycle, apart from the listed ones still to remove`` () =
    let violations = upwardDependencies core layering
    let unexpected = violations |> List.filter (fun (l, u, _) -> not (knownUpward.Contains(l, u)))
    Assert.True(List.isEmpty unexpected, describe unexpected)
    let stillThere = violations |> List.map (fun (l, u, _) -> l, u) |> Set.ofList
    let gone = Set.difference knownUpward stillThere
    Assert.True(Set.isEmpty gone, sprintf "these upward dependencies are gone: remove them from knownUpward: %A" gone)

[<Fact>]
let ``the check finds upward dependencies when the layering is turned upside down`` () =
    // The builders use nearly everything: with them at the bottom, BuiltModel (which wraps a Models.BayesianNetwork) is reported.
    let violations = upwardDependencies core (List.rev layering)
    Assert.Contains(("Builders", "Models", "BayesDL.Builders.BuiltModel"), violations)
