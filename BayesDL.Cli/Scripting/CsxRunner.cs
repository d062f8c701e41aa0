using System.Collections.Immutable;
using System.Text;
using BayesDL.Engine;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Scripting;
using Microsoft.CodeAnalysis.Scripting;

namespace BayesDL.Cli.Scripting;

/// <summary>
/// The outcome of running one script: exit code (<see cref="ExitCodes"/>: 2 missing script or compile errors, 1 run-time failure) and, on
/// failure, a readable report.
/// </summary>
public sealed record ScriptOutcome(int ExitCode, string Error);

/// <summary>
/// Compiles and runs a C# script (.csx) with Roslyn scripting, referencing BayesDL.Core, TorchSharp and
/// every assembly shipped with this tool, importing the namespaces a BayesDL script usually needs.
/// <c>#r</c> and <c>#load</c> resolve relative to the script's folder.
/// </summary>
public static class CsxRunner
{
    /// <summary>
    /// Namespaces every script starts with (BayesDL.Models and BayesDL.Objectives both define likelihood types of the
    /// same names, so scripts import the one they need).
    /// </summary>
    public static readonly ImmutableArray<string> Imports = ImmutableArray.Create(
        "System", "System.IO", "System.Linq", "System.Collections.Generic", "System.Threading.Tasks",
        "TorchSharp", "BayesDL.Engine", "BayesDL.Distributions", "BayesDL.KL", "BayesDL.Data", "BayesDL.Inference",
        "BayesDL.Builders", "BayesDL.Networks", "BayesDL.Layers", "BayesDL.Training", "BayesDL.Metrics", "BayesDL.Predictive",
        "BayesDL.Plotting");

    /// <summary>Compiles the script at <paramref name="path"/>, runs it, and reports the outcome.</summary>
    public static async Task<ScriptOutcome> RunAsync(string path, IReadOnlyList<string> args, bool quick)
    {
        string full = Path.GetFullPath(path);
        if (!File.Exists(full))
            return new ScriptOutcome(ExitCodes.Usage, $"script: file '{full}' not found (expected a .csx file, e.g. " +
                                                      "scripts/bayes-rule.csx).");
        string folder = Path.GetDirectoryName(full)!;
        var globals = new ScriptGlobals(full, args, quick);
        string code = await File.ReadAllTextAsync(full);
        var options = ScriptOptions.Default
            .WithFilePath(full)
            .WithFileEncoding(Encoding.UTF8)
            .WithEmitDebugInformation(true) // runtime stack traces then carry script line numbers
            .WithReferences(ReferencedAssemblies())
            .AddReferences(typeof(ScriptGlobals).Assembly)
            .WithImports(Imports.Where(NamespaceExists))
            .WithSourceResolver(ScriptSourceResolver.Default.WithBaseDirectory(folder))
            .WithMetadataResolver(ScriptMetadataResolver.Default.WithBaseDirectory(folder));
        var script = CSharpScript.Create(code, options, typeof(ScriptGlobals));
        var errors = script.Compile().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        if (errors.Count > 0) return new ScriptOutcome(ExitCodes.Usage, CompileReport(full, errors));
        NativeEngine.EnsureLoaded();
        try
        {
            await script.RunAsync(globals);
            return new ScriptOutcome(0, "");
        }
        catch (Exception e)
        {
            return new ScriptOutcome(ExitCodes.Failure, $"{full}: the script failed at run time:{Environment.NewLine}{e}");
        }
    }

    /// <summary>One line per compile error: file(line,column): id message.</summary>
    static string CompileReport(string path, IReadOnlyList<Diagnostic> errors)
    {
        var text = new StringBuilder($"{path}: {errors.Count} compile error(s):{Environment.NewLine}");
        foreach (var d in errors)
        {
            var span = d.Location.GetMappedLineSpan();
            string file = string.IsNullOrEmpty(span.Path) ? path : span.Path;
            text.AppendLine($"  {file}({span.StartLinePosition.Line + 1},{span.StartLinePosition.Character + 1}): {d.Id} {d.GetMessage()}");
        }
        return text.ToString();
    }

    /// <summary>
    /// The framework and every assembly this tool ships with (BayesDL.Core, TorchSharp, ScottPlot, ...):
    /// the runtime's trusted-platform list, so scripts compile against exactly what they will load.
    /// </summary>
    static IEnumerable<MetadataReference> ReferencedAssemblies()
    {
        string list = AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") as string ?? "";
        return list.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Where(f => f.EndsWith(".dll", StringComparison.OrdinalIgnoreCase))
            .Select(f => (MetadataReference)MetadataReference.CreateFromFile(f));
    }

    static bool NamespaceExists(string ns) =>
        ns.StartsWith("System", StringComparison.Ordinal) || ns == "TorchSharp" ||
        new[] { typeof(NativeEngine).Assembly, typeof(BayesDL.Plotting.ImageGrid).Assembly }
            .Any(a => a.GetTypes().Any(t => t.Namespace == ns));
}
