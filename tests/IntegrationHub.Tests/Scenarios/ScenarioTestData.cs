using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using IntegrationHub.Data;
using IntegrationHub.Identity;
using IntegrationHub.Runs;
using IntegrationHub.Scenarios;
using IntegrationHub.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace IntegrationHub.Tests.Scenarios;

/// <summary>Makes the data a test needs: scenarios through the API, users and tokens straight in the database.</summary>
internal static class ScenarioTestData
{
    /// <summary>A valid scenario body in the API's shape; <paramref name="change"/> edits it before it is sent.</summary>
    public static JsonObject ScenarioJson(
        string name = "Orders to ERP",
        bool externalTriggers = true,
        bool anonymous = false,
        bool enabled = true,
        int maxQueuedRuns = 1000,
        Action<JsonObject>? change = null)
    {
        var json = new JsonObject
        {
            ["name"] = name,
            ["description"] = "",
            ["enabled"] = enabled,
            ["source"] = new JsonObject { ["type"] = "none" },
            ["sourceScript"] = "return data.map(o => ({ id: o.Body.id, total: o.Body.total }));",
            ["target"] = new JsonObject { ["type"] = "storage", ["keyFields"] = new JsonArray("id") },
            // A schedule that fires only on 29 February: tests that count a scenario's runs saw one more when they
            // crossed a quarter hour with "*/15 * * * *" (the 1,000-trigger test, in CI).
            ["schedule"] = new JsonObject { ["cron"] = "0 0 29 2 *", ["timeZone"] = "Europe/Berlin" },
            ["advanced"] = new JsonObject
            {
                ["enableExternalTriggers"] = externalTriggers,
                ["allowAnonymousTriggers"] = anonymous,
                ["maxConcurrentRuns"] = 1,
                ["maxQueuedRuns"] = maxQueuedRuns,
                ["timeoutSeconds"] = 300,
                ["maxAttempts"] = 3,
            },
        };
        change?.Invoke(json);
        return json;
    }

    /// <summary>Creates a scenario as the bootstrapped admin and returns it as the API answered.</summary>
    public static async Task<ScenarioResponse> CreateScenarioAsync(HubHost hub, JsonObject? json = null)
    {
        using var admin = hub.CreateAdminClient();
        var response = await admin.PostAsJsonAsync("/api/v1/scenarios", json ?? ScenarioJson(), TestJson.Options);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<ScenarioResponse>(TestJson.Options))!;
    }

    /// <summary>
    /// Creates a scenario and saves it once more through the API, returning it as first created: a version behind,
    /// like a page read before someone else saved.
    /// </summary>
    public static async Task<ScenarioResponse> CreateStaleScenarioAsync(HubHost hub)
    {
        var scenario = await CreateScenarioAsync(hub);
        using var admin = hub.CreateAdminClient();
        var saved = await admin.PutAsJsonAsync($"/api/v1/scenarios/{scenario.Id}", ScenarioJson(name: "Saved by someone else"), TestJson.Options);
        Assert.Equal(HttpStatusCode.OK, saved.StatusCode);
        return scenario;
    }

    /// <summary>A user with <paramref name="role"/> and a token; in the admin's workspace unless <paramref name="otherWorkspace"/>.</summary>
    public static async Task<string> CreateUserTokenAsync(HubHost hub, UserRole role, bool otherWorkspace = false)
    {
        var factory = hub.Services.GetRequiredService<IDbContextFactory<HubDbContext>>();
        await using var db = await factory.CreateDbContextAsync();
        Guid workspaceId;
        if (otherWorkspace)
        {
            var workspace = new Workspace { Name = "Other " + Guid.NewGuid().ToString("N")[..6], CreatedAt = DateTimeOffset.UtcNow };
            db.Workspaces.Add(workspace);
            workspaceId = workspace.Id;
        }
        else
        {
            workspaceId = (await db.Users.FirstAsync(u => u.Email == HubHost.AdminEmail)).WorkspaceId;
        }

        var email = $"{role.ToString().ToLowerInvariant()}-{Guid.NewGuid():N}@hub.test";
        var user = new User
        {
            WorkspaceId = workspaceId,
            Email = email,
            NormalizedEmail = email.ToUpperInvariant(),
            Role = role,
            CreatedAt = DateTimeOffset.UtcNow,
        };
        db.Users.Add(user);
        var token = AccessTokenFormat.Generate();
        db.AccessTokens.Add(new AccessToken
        {
            UserId = user.Id,
            Name = "test",
            Prefix = AccessTokenFormat.Prefix(token),
            Hash = AccessTokenFormat.Hash(token),
            CreatedAt = DateTimeOffset.UtcNow,
        });
        await db.SaveChangesAsync();
        return token;
    }

    /// <summary>The run the queue stored for <paramref name="runId"/>.</summary>
    public static async Task<Run> GetRunAsync(HubHost hub, Guid runId)
    {
        var factory = hub.Services.GetRequiredService<IDbContextFactory<HubDbContext>>();
        await using var db = await factory.CreateDbContextAsync();
        return await db.Runs.AsNoTracking().SingleAsync(r => r.Id == runId);
    }

    /// <summary>
    /// Fills the scenario's queue with <paramref name="count"/> runs no worker will claim for a day, so a trigger meets a full queue.
    /// </summary>
    public static async Task FillQueueAsync(HubHost hub, ScenarioResponse scenario, int count)
    {
        var factory = hub.Services.GetRequiredService<IDbContextFactory<HubDbContext>>();
        await using var db = await factory.CreateDbContextAsync();
        var workspaceId = await db.Scenarios.Where(s => s.Id == scenario.Id).Select(s => s.WorkspaceId).SingleAsync();
        for (var i = 0; i < count; i++)
        {
            db.Runs.Add(new Run
            {
                WorkspaceId = workspaceId,
                ScenarioId = scenario.Id,
                Status = RunStatus.Queued,
                Trigger = TriggerKind.Manual,
                MaxAttempts = 1,
                QueuedAt = DateTimeOffset.UtcNow,
                AvailableAt = DateTimeOffset.UtcNow.AddDays(1),
            });
        }
        await db.SaveChangesAsync();
        // As the queue does with every run it admits, so the limit check sees these too.
        await db.Scenarios.Where(s => s.Id == scenario.Id).ExecuteUpdateAsync(u => u.SetProperty(
            s => EF.Property<int>(s, QueuedRunsBound.Column), s => EF.Property<int>(s, QueuedRunsBound.Column) + count));
    }
}
