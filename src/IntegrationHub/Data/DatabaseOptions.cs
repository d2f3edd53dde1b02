using System.ComponentModel.DataAnnotations;

namespace IntegrationHub.Data;

/// <summary>Which database the hub uses. Section <c>Database</c>; the connection string is <c>ConnectionStrings:Hub</c>.</summary>
internal sealed class DatabaseOptions
{
    public const string SectionName = "Database";

    /// <summary><c>Sqlite</c> (default, one node) or <c>Postgres</c> (one or more nodes sharing the database). Case-insensitive.</summary>
    [Required]
    public DatabaseProvider Provider { get; set; } = DatabaseProvider.Sqlite;

    /// <summary>
    /// SQLite only: how commits reach the disk (the database runs in WAL mode). <c>Normal</c> (default) writes every
    /// commit to the write-ahead log before the caller is answered, so an accepted trigger survives the hub process
    /// crashing or being killed; an OS crash or power cut may lose the last commits. <c>Full</c> also fsyncs every
    /// commit, surviving a power cut, at the price of one fsync per commit (about 6 ms on this project's test machine,
    /// which caps accepted triggers at a few thousand per second even with group commit).
    /// </summary>
    public SqliteSynchronous SqliteSynchronous { get; set; } = SqliteSynchronous.Normal;

    /// <summary>
    /// SQLite only: how often the write-ahead log is copied into the database file in the background, so that commits
    /// rarely have to do it themselves (see <c>SqliteCheckpointer</c>). Default 20 ms; zero turns it off, leaving
    /// checkpoints to SQLite's own, inside the commit that takes the log past 1,000 pages. Range 0 to 1 min.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00")]
    public TimeSpan SqliteCheckpointInterval { get; set; } = TimeSpan.FromMilliseconds(20);

    /// <summary>Apply pending migrations at start. Default true.</summary>
    public bool MigrateOnStart { get; set; } = true;

    /// <summary>
    /// How often a running node looks whether a newer build upgraded the database (<c>SchemaWatch</c>), and stops if so.
    /// Default 30 s; range 100 ms to 1 h.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "01:00:00")]
    public TimeSpan SchemaCheckInterval { get; set; } = TimeSpan.FromSeconds(30);
}

public enum DatabaseProvider
{
    Sqlite,
    Postgres,
}

/// <summary>SQLite's <c>PRAGMA synchronous</c>, applied to every connection the hub opens.</summary>
internal enum SqliteSynchronous
{
    /// <summary>No fsync on commit in WAL mode: durable across a process crash, not across power loss.</summary>
    Normal,
    /// <summary>fsync on every commit: durable across power loss.</summary>
    Full,
}
