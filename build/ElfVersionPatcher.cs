// Marks a symbol-version requirement of an ELF shared library as weak (VER_FLG_WEAK).
//
// Why: TorchSharp 0.107.0's libLibTorchSharp.so requires GLIBCXX_3.4.32 from libstdc++ for exactly one
// symbol, std::ios_base_library_init(), which it references but never calls. Debian 12 / Ubuntu 22.04
// ship libstdc++ up to GLIBCXX_3.4.30, so the dynamic loader refuses the library. A weak version
// requirement lets the loader accept the library when that version is missing; nothing else changes.
//
// This one file is compiled twice: by MSBuild's RoslynCodeTaskFactory (build/LibTorchSharpPatch.targets, in this
// repository and, as buildTransitive targets, in every project that consumes the BayesDL.Core package; it gets the
// task class at the bottom) and into BayesDL.Core itself (which defines BAYESDL_PATCHER_ONLY: NativeEngine patches a
// copy at run time where there is no build output, as in dotnet fsi; BayesDL.Tests tests that copy of the patcher
// on copies of the library). It depends on nothing but the base class library.
#nullable disable
using System;
using System.Collections.Generic;
using System.IO;
using System.Text;

namespace BayesDL.NativePatch
{
    /// <summary>One Vernaux entry of an ELF <c>.gnu.version_r</c> section.</summary>
    internal sealed class ElfVersionRequirement
    {
        public ElfVersionRequirement(string file, string version, ushort flags, long flagsOffset)
        {
            File = file; Version = version; Flags = flags; FlagsOffset = flagsOffset;
        }
        /// <summary>The library the version is needed from, e.g. <c>libstdc++.so.6</c>.</summary>
        public string File { get; }
        /// <summary>The version name, e.g. <c>GLIBCXX_3.4.32</c>.</summary>
        public string Version { get; }
        /// <summary>vna_flags; bit 0x2 is VER_FLG_WEAK.</summary>
        public ushort Flags { get; }
        /// <summary>File offset of the two-byte vna_flags field.</summary>
        public long FlagsOffset { get; }
        public bool IsWeak => (Flags & ElfVersionPatcher.VerFlagWeak) != 0;
    }

    internal enum ElfPatchOutcome { Patched, AlreadyWeak, NotRequired }

    internal static class ElfVersionPatcher
    {
        public const ushort VerFlagWeak = 0x2;
        const uint ShtGnuVerneed = 0x6ffffffe;

        /// <summary>Reads every version requirement (Verneed/Vernaux) of a 64-bit little-endian ELF image.</summary>
        public static List<ElfVersionRequirement> ReadRequirements(byte[] elf)
        {
            if (elf.Length < 64 || elf[0] != 0x7f || elf[1] != (byte)'E' || elf[2] != (byte)'L' || elf[3] != (byte)'F')
                throw new InvalidDataException("not an ELF file (magic number 7f 45 4c 46 missing)");
            if (elf[4] != 2 || elf[5] != 1)
                throw new InvalidDataException($"only 64-bit little-endian ELF is supported (EI_CLASS={elf[4]}, EI_DATA={elf[5]})");

            long shoff = (long)ReadU64(elf, 0x28);
            int shentsize = ReadU16(elf, 0x3A), shnum = ReadU16(elf, 0x3C);
            var result = new List<ElfVersionRequirement>();
            for (int i = 0; i < shnum; i++)
            {
                long sh = shoff + (long)i * shentsize;
                if (ReadU32(elf, sh + 4) != ShtGnuVerneed) continue;
                long offset = (long)ReadU64(elf, sh + 0x18);
                uint link = ReadU32(elf, sh + 0x28), count = ReadU32(elf, sh + 0x2C);
                long strtab = (long)ReadU64(elf, shoff + (long)link * shentsize + 0x18);

                long need = offset;
                for (uint n = 0; n < count; n++)
                {
                    int auxCount = ReadU16(elf, need + 2);
                    string file = ReadString(elf, strtab + ReadU32(elf, need + 4));
                    long aux = need + ReadU32(elf, need + 8);
                    for (int a = 0; a < auxCount; a++)
                    {
                        string version = ReadString(elf, strtab + ReadU32(elf, aux + 8));
                        result.Add(new ElfVersionRequirement(file, version, ReadU16(elf, aux + 4), aux + 4));
                        aux += ReadU32(elf, aux + 12);
                    }
                    uint next = ReadU32(elf, need + 12);
                    if (next == 0) break;
                    need += next;
                }
            }
            return result;
        }

        /// <summary>
        /// Sets VER_FLG_WEAK on the requirement named <paramref name="version"/>. Writes through a temporary
        /// file and a rename, so a hard link or symbolic link to a shared copy (the NuGet cache) is replaced,
        /// never modified, and the original timestamp is kept so incremental builds do not copy it again.
        /// </summary>
        public static ElfPatchOutcome MarkWeak(string path, string version)
        {
            byte[] bytes = File.ReadAllBytes(path);
            ElfPatchOutcome outcome = MarkWeak(bytes, version);
            if (outcome != ElfPatchOutcome.Patched) return outcome;

            DateTime stamp = File.GetLastWriteTimeUtc(path);
            string temp = path + ".bayesdl-patch.tmp";
            File.WriteAllBytes(temp, bytes);
            File.SetLastWriteTimeUtc(temp, stamp);
            File.Delete(path); // unlink first: a hard link to a shared copy keeps its original bytes
            File.Move(temp, path);
            return outcome;
        }

        /// <summary>In-memory form of <see cref="MarkWeak(string, string)"/>: changes at most one byte.</summary>
        public static ElfPatchOutcome MarkWeak(byte[] elf, string version)
        {
            ElfPatchOutcome outcome = ElfPatchOutcome.NotRequired;
            foreach (ElfVersionRequirement r in ReadRequirements(elf))
            {
                if (r.Version != version) continue;
                if (r.IsWeak) { if (outcome == ElfPatchOutcome.NotRequired) outcome = ElfPatchOutcome.AlreadyWeak; continue; }
                ushort flags = (ushort)(r.Flags | VerFlagWeak);
                elf[r.FlagsOffset] = (byte)flags;
                elf[r.FlagsOffset + 1] = (byte)(flags >> 8);
                outcome = ElfPatchOutcome.Patched;
            }
            return outcome;
        }

        /// <summary>True when the file's bytes contain the NUL-terminated version name (a version definition).</summary>
        public static bool DefinesVersion(string libraryPath, string version)
        {
            byte[] needle = Encoding.ASCII.GetBytes(version + "\0");
            byte[] hay = File.ReadAllBytes(libraryPath);
            for (int i = 0; i + needle.Length <= hay.Length; i++)
            {
                int k = 0;
                while (k < needle.Length && hay[i + k] == needle[k]) k++;
                if (k == needle.Length) return true;
            }
            return false;
        }

        /// <summary>
        /// The libstdc++ the loader would use: the one mapped into this process when there is one (the
        /// dotnet host links it), else the usual system locations. Null when none is found (not Linux).
        /// </summary>
        public static string FindSystemLibStdCxx()
        {
            try
            {
                if (File.Exists("/proc/self/maps"))
                    foreach (string line in File.ReadAllLines("/proc/self/maps"))
                    {
                        int slash = line.IndexOf('/');
                        if (slash >= 0 && line.Contains("libstdc++.so.6")) return line.Substring(slash).Trim();
                    }
            }
            catch (IOException) { }
            foreach (string dir in new[] { "/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu",
                "/usr/lib64", "/usr/lib", "/lib64", "/lib" })
            {
                string candidate = Path.Combine(dir, "libstdc++.so.6");
                if (File.Exists(candidate)) return candidate;
            }
            return null;
        }

        static ushort ReadU16(byte[] b, long o) { Check(b, o, 2); return (ushort)(b[o] | b[o + 1] << 8); }
        static uint ReadU32(byte[] b, long o) { Check(b, o, 4); return BitConverter.ToUInt32(b, (int)o); }
        static ulong ReadU64(byte[] b, long o) { Check(b, o, 8); return BitConverter.ToUInt64(b, (int)o); }
        static void Check(byte[] b, long o, int n)
        {
            if (o < 0 || o + n > b.Length)
                throw new InvalidDataException($"ELF structure points outside the file (offset {o}, length {b.Length})");
        }
        static string ReadString(byte[] b, long o)
        {
            long end = o;
            while (end < b.Length && b[end] != 0) end++;
            return Encoding.ASCII.GetString(b, (int)o, (int)(end - o));
        }
    }
}

#if !BAYESDL_PATCHER_ONLY
namespace BayesDL.NativePatch
{
    /// <summary>
    /// MSBuild task: when the system libstdc++ lacks <see cref="Version"/>, marks that requirement weak in
    /// each given library (copies in the build or publish output only). Does nothing on newer systems.
    /// </summary>
    public class MarkElfVersionWeak : Microsoft.Build.Utilities.Task
    {
        [Microsoft.Build.Framework.Required] public Microsoft.Build.Framework.ITaskItem[] Libraries { get; set; } =
            Array.Empty<Microsoft.Build.Framework.ITaskItem>();
        [Microsoft.Build.Framework.Required] public string Version { get; set; } = "";

        public override bool Execute()
        {
            if (Libraries.Length == 0) return true;
            string libstdcxx = ElfVersionPatcher.FindSystemLibStdCxx();
            if (libstdcxx == null || ElfVersionPatcher.DefinesVersion(libstdcxx, Version))
            {
                Log.LogMessage(Microsoft.Build.Framework.MessageImportance.Low,
                    $"BayesDL: {libstdcxx ?? "no libstdc++"} provides {Version}; native libraries left as they are.");
                return true;
            }
            foreach (var item in Libraries)
            {
                var outcome = ElfVersionPatcher.MarkWeak(item.ItemSpec, Version);
                Log.LogMessage(Microsoft.Build.Framework.MessageImportance.Normal,
                    $"BayesDL: {item.ItemSpec}: {Version} {outcome} ({libstdcxx} lacks it).");
            }
            return true;
        }
    }
}
#endif
