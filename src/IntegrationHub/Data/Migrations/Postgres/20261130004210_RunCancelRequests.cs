using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace IntegrationHub.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class RunCancelRequests : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<long>(
                name: "CancelRequestedAt",
                table: "Runs",
                type: "bigint",
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "CancelRequestedAt",
                table: "Runs");
        }
    }
}
