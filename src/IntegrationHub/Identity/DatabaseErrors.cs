using Microsoft.EntityFrameworkCore;

namespace IntegrationHub.Identity;

/// <summary>Recognises the database errors identity turns into answers instead of 500s.</summary>
internal static class DatabaseErrors
{
    /// <summary>
    /// PostgreSQL refused to commit a serializable transaction because a concurrent one read or wrote the same rows
    /// (SQLSTATE 40001): the other one won, and this one's check may no longer hold.
    /// </summary>
    public static bool IsSerializationFailure(Exception ex) =>
        ex is DbUpdateException { InnerException: Npgsql.PostgresException { SqlState: Npgsql.PostgresErrorCodes.SerializationFailure } }
        || ex is Npgsql.PostgresException { SqlState: Npgsql.PostgresErrorCodes.SerializationFailure };
}
