using System.ComponentModel.DataAnnotations;

namespace IntegrationHub.Data;

/// <summary>Which database the hub uses. Section <c>Database</c>; the connection string is <c>ConnectionStrings:Hub</c>.</summary>
public sealed class DatabaseOptions
{
    public const string SectionName = "Database";

    /// <summary><c>Sqlite</c> (default, one node) or <c>Postgres</c> (one or more nodes sharing the database). Case-insensitive.</summary>
    [Required]
    public DatabaseProvider Provider { get; set; } = DatabaseProvider.Sqlite;

    /// <summary>Apply pending migrations at start. Default true.</summary>
    public bool MigrateOnStart { get; set; } = true;
}

public enum DatabaseProvider
{
    Sqlite,
    Postgres,
}
