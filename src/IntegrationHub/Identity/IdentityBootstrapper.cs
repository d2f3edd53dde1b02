using IntegrationHub.Data;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace IntegrationHub.Identity;

/// <summary>Makes a new installation usable: the default workspace, and the first admin from <see cref="BootstrapOptions"/>.</summary>
internal sealed partial class IdentityBootstrapper(
    IDbContextFactory<HubDbContext> dbFactory,
    IOptions<BootstrapOptions> options,
    IPasswordHasher<User> passwordHasher,
    TimeProvider time,
    ILogger<IdentityBootstrapper> logger)
{
    public const string DefaultWorkspaceName = "Default";

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var now = time.GetUtcNow();
        var workspace = await db.Workspaces.OrderBy(w => w.CreatedAt).FirstOrDefaultAsync(cancellationToken);
        if (workspace is null)
        {
            workspace = new Workspace { Name = DefaultWorkspaceName, CreatedAt = now };
            db.Workspaces.Add(workspace);
            await db.SaveChangesAsync(cancellationToken);
        }

        if (await db.Users.AnyAsync(cancellationToken))
        {
            return;
        }

        // Reading the options checks them (IdentityExtensions): a start with unusable Bootstrap settings fails here, before
        // an admin no one can sign in as is created.
        var bootstrap = options.Value;
        if (string.IsNullOrWhiteSpace(bootstrap.AdminEmail))
        {
            return;
        }

        var admin = new User
        {
            WorkspaceId = workspace.Id,
            Email = bootstrap.AdminEmail.Trim(),
            NormalizedEmail = CredentialRules.NormalizeEmail(bootstrap.AdminEmail),
            Role = UserRole.Admin,
            IsInstallationAdmin = true,
            CreatedAt = now,
        };
        if (!string.IsNullOrEmpty(bootstrap.AdminPassword))
        {
            admin.PasswordHash = passwordHasher.HashPassword(admin, bootstrap.AdminPassword);
        }
        db.Users.Add(admin);

        if (!string.IsNullOrEmpty(bootstrap.AdminToken))
        {
            db.AccessTokens.Add(new AccessToken
            {
                UserId = admin.Id,
                Name = "Bootstrap",
                Prefix = AccessTokenFormat.Prefix(bootstrap.AdminToken),
                Hash = AccessTokenFormat.Hash(bootstrap.AdminToken),
                CreatedAt = now,
            });
        }

        await db.SaveChangesAsync(cancellationToken);
        LogAdminCreated(logger, admin.Email);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Created the first admin {Email} from the Bootstrap settings")]
    private static partial void LogAdminCreated(ILogger logger, string email);
}
