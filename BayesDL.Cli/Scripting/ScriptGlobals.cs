namespace BayesDL.Cli.Scripting;

/// <summary>
/// What a .csx script sees as globals: its own location (so paths resolve relative to the script, not
/// to the caller's working directory), the quick-mode flag and an artifact folder for its plots.
/// </summary>
public sealed class ScriptGlobals
{
    public ScriptGlobals(string scriptPath, IReadOnlyList<string> args, bool quick)
    {
        ScriptPath = Path.GetFullPath(scriptPath);
        ScriptDirectory = Path.GetDirectoryName(ScriptPath)!;
        Args = args;
        Quick = quick;
    }

    /// <summary>Absolute path of the running script.</summary>
    public string ScriptPath { get; }

    /// <summary>Folder of the running script; relative paths in scripts should start here.</summary>
    public string ScriptDirectory { get; }

    /// <summary>Arguments after the script path on the command line.</summary>
    public IReadOnlyList<string> Args { get; }

    /// <summary>True when BAYESDL_QUICK=1 (or --quick): scripts cut epochs and samples.</summary>
    public bool Quick { get; }

    /// <summary>
    /// A path for an output file in the untracked <c>artifacts/scripts</c> folder next to the scripts
    /// folder (created on demand), the same place the F# scripts write to.
    /// </summary>
    public string Artifact(string fileName)
    {
        string folder = Path.GetFullPath(Path.Combine(ScriptDirectory, "..", "artifacts", "scripts"));
        Directory.CreateDirectory(folder);
        return Path.Combine(folder, fileName);
    }

    /// <summary>A path relative to the script's folder, made absolute.</summary>
    public string Relative(string path) => Path.GetFullPath(Path.Combine(ScriptDirectory, path));
}
