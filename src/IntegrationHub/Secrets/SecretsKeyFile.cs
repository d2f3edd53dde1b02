using IntegrationHub.Hosting;
using Microsoft.Data.Sqlite;

namespace IntegrationHub.Secrets;

/// <summary>
/// The key of an SQLite hub without <c>Secrets:Key</c>: a file beside the database file (<c>integrationhub.db</c>,
/// <c>integrationhub.key</c>), made on first start and readable by its owner only. <c>dotnet run</c> needs no set-up,
/// and a copy of the database file alone holds no secret anyone can read.
/// </summary>
internal static partial class SecretsKeyFile
{
    /// <summary>The key file of the SQLite database of <paramref name="connectionString"/>; null for an in-memory database.</summary>
    public static string? PathFor(string connectionString)
    {
        var builder = new SqliteConnectionStringBuilder(connectionString);
        if (builder.Mode == SqliteOpenMode.Memory || string.IsNullOrEmpty(builder.DataSource) || builder.DataSource == ":memory:")
        {
            return null;
        }
        var path = Path.ChangeExtension(builder.DataSource, ".key");
        // A database file named *.key must not be taken for its own key file.
        return path == builder.DataSource ? builder.DataSource + ".key" : path;
    }

    /// <summary>The key in <paramref name="path"/>, made there first when there is none.</summary>
    public static SecretsKey LoadOrCreate(string path, ILogger logger)
    {
        if (File.Exists(path))
        {
            return Read(path);
        }

        var key = SecretsKey.CreateRandom();
        // Written in full to a file of its own, then moved into place without replacing one: a second process starting
        // on the same folder at the same moment reads the one key that won, never a half-written file.
        var written = $"{path}.{Guid.NewGuid():N}.tmp";
        try
        {
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
            if (!OperatingSystem.IsWindows())
            {
                // Owner only from the moment it exists, not chmod'ed after (Windows: the folder's ACL applies).
                options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }
            using (var stream = new FileStream(written, options))
            using (var writer = new StreamWriter(stream))
            {
                writer.Write(key.ToBase64() + "\n");
                writer.Flush();
                stream.Flush(flushToDisk: true);
            }
            try
            {
                File.Move(written, path, overwrite: false);
            }
            catch (IOException) when (File.Exists(path))
            {
                File.Delete(written);
                return Read(path);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            TryDelete(written);
            throw new StartupException($"the key file {path} cannot be written: {ex.Message} Let the hub's user write to its folder, "
                + $"or set Secrets:Key ({SecretsKey.Expected}).", ex);
        }
        LogKeyFileCreated(logger, path);
        return key;
    }

    private static SecretsKey Read(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new StartupException($"the key file {path} cannot be read: {ex.Message} Let the hub's user read it, or set Secrets:Key to the key it holds.", ex);
        }
        if (!SecretsKey.TryParse(text, out var key, out var problem))
        {
            throw new StartupException($"the key file {path} does not hold a key: {problem}, and {SecretsKey.Expected}. Restore it from your "
                + "backup: header values and sign-in cookies encrypted with it cannot be read without it.");
        }
        return key;
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // The failure being reported matters more than a leftover temporary file.
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Made the key this hub encrypts its secrets with, in {Path} (readable by its owner only). Back it up, apart from the database: without it the encrypted header values of HTTP sources and targets, and sign-in cookies, cannot be read")]
    private static partial void LogKeyFileCreated(ILogger logger, string path);
}
