using System.Buffers.Text;
using System.Data;
using System.Security.Cryptography;
using System.Text;
using IntegrationHub.Data;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;

namespace IntegrationHub.Identity;

/// <summary>
/// First run without Bootstrap settings: a one-time code, printed at start as a setup link, lets whoever holds it create
/// the first admin, once. The code lives in this process only: each node of a cluster prints its own, and any of
/// them works until the first admin exists.
/// </summary>
internal sealed partial class FirstRunSetup(
    IDbContextFactory<HubDbContext> dbFactory,
    IPasswordHasher<User> passwordHasher,
    TimeProvider time,
    ILogger<FirstRunSetup> logger) : IDisposable
{
    public const int MaximumWorkspaceNameLength = 200;

    /// <summary>Serialises completions on this node; the serializable transaction covers other nodes.</summary>
    private readonly SemaphoreSlim _gate = new(1, 1);
    private string? _code;

    /// <summary>True while no user exists and this node holds a setup code: the setup page should be offered.</summary>
    public bool IsSetupPending => Volatile.Read(ref _code) is not null;

    /// <summary>The code of the printed link, for tests.</summary>
    internal string? Code => Volatile.Read(ref _code);

    /// <summary>Whether <paramref name="code"/> is this node's setup code (constant-time), so a page can check the link before asking for details.</summary>
    public bool IsValidCode(string? code)
    {
        var expected = Volatile.Read(ref _code);
        return expected is not null && code is not null
            && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(expected), Encoding.UTF8.GetBytes(code));
    }

    /// <summary>
    /// Creates the first admin: installation admin, role Admin, in the default workspace (renamed to
    /// <paramref name="workspaceName"/> when given). Fails with Conflict once any user exists, Forbidden for a wrong code,
    /// Invalid for an unusable email, password or workspace name.
    /// </summary>
    public async Task<Outcome<User>> TryCompleteAsync(
        string? code, string? email, string? password, string? workspaceName, CancellationToken cancellationToken)
    {
        if (!IsSetupPending)
        {
            return AlreadyDone();
        }
        if (!IsValidCode(code))
        {
            return IdentityError.Forbidden("The setup code is wrong. Use the link the hub printed on its console at start.");
        }

        var errors = Check(email, password, workspaceName);
        if (errors.Count > 0)
        {
            return IdentityError.Invalid(errors);
        }

        await _gate.WaitAsync(cancellationToken);
        try
        {
            var admin = await CreateAdminAsync(email!, password!, workspaceName?.Trim(), cancellationToken);
            if (admin is null)
            {
                return AlreadyDone();
            }
            Volatile.Write(ref _code, null);
            LogSetupCompleted(logger);
            return admin;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>The first admin's email, password and workspace name (null keeps the default's) against the rules, by field.</summary>
    public static Dictionary<string, string[]> Check(string? email, string? password, string? workspaceName)
    {
        var errors = CredentialRules.Check(email, password);
        if (workspaceName is not null && CredentialRules.CheckWorkspaceName(workspaceName) is { } workspaceProblem)
        {
            errors["workspaceName"] = [workspaceProblem];
        }
        return errors;
    }

    /// <summary>At start: holds a new code when the installation has no user yet; returns it, or null when setup is not needed.</summary>
    internal async Task<string?> StartAsync(CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        if (await db.Users.AnyAsync(cancellationToken))
        {
            Volatile.Write(ref _code, null);
            return null;
        }

        // 128 random bits: the code is only valid until the first admin exists, and guesses are answered one by one.
        var code = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(16));
        Volatile.Write(ref _code, code);
        return code;
    }

    /// <summary>Prints the setup link to the log and to the console, where whoever installed the hub looks first.</summary>
    internal void Announce(string baseUrl, string code)
    {
        var link = $"{baseUrl.TrimEnd('/')}/setup?code={code}";
        LogSetupLink(logger, link);
        Console.WriteLine();
        Console.WriteLine("  IntegrationHub has no users yet. Create the first admin here (the link works once):");
        Console.WriteLine("  " + link);
        Console.WriteLine();
    }

    private async Task<User?> CreateAdminAsync(string email, string password, string? workspaceName, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        try
        {
            // Serializable: two nodes completing setup at the same moment cannot both see "no users" and both insert.
            await using var transaction = await db.Database.BeginTransactionAsync(IsolationLevel.Serializable, cancellationToken);
            if (await db.Users.AnyAsync(cancellationToken))
            {
                return null;
            }

            var now = time.GetUtcNow();
            var workspace = await db.Workspaces.OrderBy(w => w.CreatedAt).FirstOrDefaultAsync(cancellationToken);
            if (workspace is null)
            {
                workspace = new Workspace { Name = workspaceName ?? IdentityBootstrapper.DefaultWorkspaceName, CreatedAt = now };
                db.Workspaces.Add(workspace);
            }
            else if (workspaceName is not null)
            {
                workspace.Name = workspaceName;
            }

            var admin = new User
            {
                WorkspaceId = workspace.Id,
                Email = email.Trim(),
                NormalizedEmail = CredentialRules.NormalizeEmail(email),
                Role = UserRole.Admin,
                IsInstallationAdmin = true,
                CreatedAt = now,
            };
            admin.PasswordHash = passwordHasher.HashPassword(admin, password);
            db.Users.Add(admin);
            await db.SaveChangesAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            return admin;
        }
        catch (Exception ex) when (DatabaseErrors.IsSerializationFailure(ex))
        {
            return null;
        }
    }

    public void Dispose() => _gate.Dispose();

    private IdentityError AlreadyDone()
    {
        Volatile.Write(ref _code, null);
        return IdentityError.Conflict("Setup is already complete: the hub has users. Sign in instead.");
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "IntegrationHub has no users yet. Create the first admin at {SetupLink}")]
    private static partial void LogSetupLink(ILogger logger, string setupLink);

    [LoggerMessage(Level = LogLevel.Information, Message = "First-run setup created the first admin")]
    private static partial void LogSetupCompleted(ILogger logger);
}
