using System.Globalization;
using System.Security.Claims;
using IntegrationHub.Data;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.EntityFrameworkCore;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;

namespace IntegrationHub.Identity;

/// <summary>
/// Azure AD / Entra ID: JWT bearer tokens for machines and, with a client secret, "Sign in with Microsoft" for people.
/// Both put the hub claims (workspace, role) on the principal, unless a group is configured and the token lacks it:
/// then the caller is authenticated but has no role, and every hub policy answers 403.
/// </summary>
internal static partial class AzureAdAuthentication
{
    /// <summary>The Entra ID claim that lists the caller's group object ids.</summary>
    public const string GroupsClaim = "groups";

    public static void AddAzureAd(this AuthenticationBuilder authentication, AzureAdOptions settings)
    {
        var audiences = new[] { settings.ClientId!.Trim(), $"api://{settings.ClientId.Trim()}" };
        authentication.AddJwtBearer(HubSchemes.AzureAd, options =>
        {
            options.Authority = settings.Authority;
            options.RequireHttpsMetadata = settings.RequiresHttpsMetadata;
            // Keep Entra ID's claim names (groups, oid, preferred_username) instead of the long WS-Federation URIs.
            options.MapInboundClaims = false;
            options.TokenValidationParameters = new TokenValidationParameters
            {
                // The issuer comes from the tenant's metadata; signature keys from its JWKS.
                ValidateIssuer = true,
                ValidateAudience = true,
                ValidAudiences = audiences,
                ValidateLifetime = true,
                RequireExpirationTime = true,
                ValidateIssuerSigningKey = true,
                // Refuses alg "none": an unsigned token proves nothing.
                RequireSignedTokens = true,
                ValidAlgorithms = [SecurityAlgorithms.RsaSha256, SecurityAlgorithms.RsaSsaPssSha256],
                ClockSkew = TimeSpan.FromMinutes(2),
                NameClaimType = ClaimTypes.Name,
                RoleClaimType = HubClaims.Role,
            };
            options.Events = new JwtBearerEvents
            {
                OnTokenValidated = context => AddHubClaimsAsync(context.HttpContext, context.Principal, settings),
            };
        });

        if (settings.IsInteractiveSignInEnabled)
        {
            authentication.AddOpenIdConnect(HubSchemes.Microsoft, "Microsoft", options =>
            {
                options.Authority = settings.Authority;
                options.RequireHttpsMetadata = settings.RequiresHttpsMetadata;
                options.ClientId = settings.ClientId;
                options.ClientSecret = settings.ClientSecret;
                options.CallbackPath = settings.CallbackPath;
                options.ResponseType = OpenIdConnectResponseType.Code;
                options.UsePkce = true;
                options.SignInScheme = HubSchemes.NewSession;
                options.MapInboundClaims = false;
                options.Scope.Clear();
                options.Scope.Add("openid");
                options.Scope.Add("profile");
                options.Scope.Add("email");
                options.TokenValidationParameters.NameClaimType = ClaimTypes.Name;
                options.TokenValidationParameters.RoleClaimType = HubClaims.Role;
                options.Events = new OpenIdConnectEvents
                {
                    OnTokenValidated = async context =>
                    {
                        if (!await AddHubClaimsAsync(context.HttpContext, context.Principal, settings))
                        {
                            // A browser outside the group gets no cookie at all (not a cookie that is refused everywhere).
                            context.Fail("The account is not in the group this hub admits.");
                            return;
                        }
                        // What the cookie's session is checked against on every request (CookieSessionValidator).
                        var identity = (ClaimsIdentity)context.Principal!.Identity!;
                        var now = context.HttpContext.RequestServices.GetRequiredService<TimeProvider>().GetUtcNow();
                        identity.AddClaim(new Claim(HubClaims.MicrosoftSignedInAt, now.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture)));
                        identity.AddClaim(new Claim(HubClaims.MicrosoftGroup, settings.Group?.Trim() ?? ""));
                    },
                    OnRemoteFailure = context =>
                    {
                        context.HandleResponse();
                        var failure = context.Failure?.Message ?? "unknown";
                        LogMicrosoftSignInFailed(Logger(context.HttpContext), failure);
                        context.Response.Redirect($"{AccountPaths.Login}?failed=microsoft");
                        return Task.CompletedTask;
                    },
                };
            });
        }
    }

    /// <summary>
    /// Removes the token's own claims of the hub's types, then adds the hub's workspace and role claims, unless a group is
    /// required and missing (returns false then, and the caller is left with no hub claims at all).
    /// </summary>
    private static async Task<bool> AddHubClaimsAsync(HttpContext context, ClaimsPrincipal? principal, AzureAdOptions settings)
    {
        if (principal?.Identity is not ClaimsIdentity identity)
        {
            return false;
        }

        // Before the group check: a token refused a role must not keep the one it brought.
        RemoveReservedClaims(principal);
        var logger = Logger(context);
        if (!string.IsNullOrWhiteSpace(settings.Group)
            && !principal.FindAll(GroupsClaim).Any(c => string.Equals(c.Value, settings.Group.Trim(), StringComparison.OrdinalIgnoreCase)))
        {
            var objectId = principal.FindFirstValue("oid") ?? principal.FindFirstValue("sub") ?? "unknown";
            LogGroupMissing(logger, objectId);
            return false;
        }

        var workspaceId = settings.WorkspaceId
            ?? await context.RequestServices.GetRequiredService<DefaultWorkspace>().GetIdAsync(context.RequestAborted);
        identity.AddClaim(new Claim(HubClaims.WorkspaceId, workspaceId.ToString()));
        identity.AddClaim(new Claim(HubClaims.Role, settings.Role.ToString()));
        var name = principal.FindFirstValue("preferred_username") ?? principal.FindFirstValue("email")
            ?? principal.FindFirstValue("upn") ?? principal.FindFirstValue("oid") ?? principal.FindFirstValue("sub");
        if (name is not null)
        {
            identity.AddClaim(new Claim(ClaimTypes.Name, name));
        }
        return true;
    }

    /// <summary>
    /// The tenant signs whatever claims its app registration emits (claims mapping, optional claims, a directory
    /// extension), and its admins are not the hub's: a signed <c>hub:workspace</c>, role or <c>hub:user</c> claim would
    /// otherwise be read as the hub's own (another workspace, Admin, another user's account).
    /// </summary>
    private static void RemoveReservedClaims(ClaimsPrincipal principal)
    {
        foreach (var identity in principal.Identities)
        {
            foreach (var claim in identity.Claims.Where(c => HubClaims.Reserved.Contains(c.Type)).ToList())
            {
                identity.RemoveClaim(claim);
            }
        }
    }

    private static ILogger Logger(HttpContext context) =>
        context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(AzureAdAuthentication));

    // IdentityModel keeps personal data out of its messages unless told otherwise, so the reason is safe to log.
    [LoggerMessage(Level = LogLevel.Warning, Message = "Sign in with Microsoft failed: {Reason}")]
    private static partial void LogMicrosoftSignInFailed(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Azure AD caller {ObjectId} is not in the configured group; answering 403")]
    private static partial void LogGroupMissing(ILogger logger, string objectId);
}

/// <summary>The installation's default (oldest) workspace, looked up once.</summary>
internal sealed class DefaultWorkspace(IDbContextFactory<HubDbContext> dbFactory)
{
    private Guid? _id;

    public async Task<Guid> GetIdAsync(CancellationToken cancellationToken)
    {
        if (_id is { } id)
        {
            return id;
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var found = await db.Workspaces.OrderBy(w => w.CreatedAt).Select(w => (Guid?)w.Id).FirstOrDefaultAsync(cancellationToken)
            ?? throw new InvalidOperationException("The hub has no workspace; the bootstrapper creates one at start.");
        _id = found;
        return found;
    }
}
