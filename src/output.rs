//! Printing results: aligned text for people, JSON for scripts.

use crate::cli::Format;
use airlock_app::json::{AuditPage, CreatedVault, DemoInfo, UserDto, VaultInfo, VerifyReport};
use serde::Serialize;

fn json<T: Serialize>(v: &T) {
    println!(
        "{}",
        serde_json::to_string_pretty(v).expect("DTOs always serialise")
    );
}

pub fn created(c: &CreatedVault, f: Format) {
    if f == Format::Json {
        return json(c);
    }
    println!("Created vault {} at {}.", c.vault.vault_id, c.vault.path);
    println!();
    println!("Recovery code (shown once; print it or write it down and store it sealed):");
    println!();
    println!("    {}", c.recovery_code);
    println!();
    println!("It is the only way back in if every lead forgets their passphrase.");
}

pub fn demo(d: &DemoInfo, f: Format) {
    if f == Format::Json {
        return json(d);
    }
    println!(
        "Created the demo project at {} (synthetic data only).",
        d.vault.path
    );
    println!();
    println!("{:<20} {:<12} passphrase", "user", "role");
    for u in &d.users {
        println!("{:<20} {:<12} {}", u.name, u.role.as_str(), u.passphrase);
    }
}

pub fn user_added(u: &UserDto, f: Format) {
    if f == Format::Json {
        return json(u);
    }
    println!("Added {} ({}), id {}.", u.name, u.role.as_str(), u.id);
}

pub fn users(list: &[UserDto], f: Format) {
    if f == Format::Json {
        return json(&list);
    }
    println!(
        "{:<24} {:<11} {:<9} {:<4} created",
        "name", "role", "status", "2fa"
    );
    for u in list {
        let status = serde_json::to_value(u.status)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        println!(
            "{:<24} {:<11} {:<9} {:<4} {}",
            u.name,
            u.role.as_str(),
            status,
            if u.totp_enabled { "yes" } else { "no" },
            u.created_at
        );
    }
}

pub fn vault_info(i: &VaultInfo, f: Format) {
    if f == Format::Json {
        return json(i);
    }
    println!("project         {}", i.project_name);
    println!("vault id        {}", i.vault_id);
    println!("path            {}", i.path);
    println!("format version  {}", i.format_version);
    println!("created         {}", i.created_at);
    println!(
        "kdf             argon2id m={} KiB t={} p={}",
        i.kdf.memory_kib, i.kdf.iterations, i.kdf.parallelism
    );
    println!(
        "users           {} active, {} key slots, recovery slot {}",
        i.users,
        i.key_slots,
        if i.recovery_slot { "present" } else { "absent" }
    );
    println!("audit events    {}", i.audit_events);
    println!(
        "policy          lock after {} failed logins for {} min; idle lock after {} min",
        i.policy.max_failed_logins, i.policy.lockout_minutes, i.policy.idle_timeout_minutes
    );
}

pub fn verify(r: &VerifyReport, f: Format) {
    if f == Format::Json {
        return json(r);
    }
    match &r.problem {
        None => {
            let signers = if r.signers.is_empty() {
                "nobody".to_string()
            } else {
                r.signers.join(", ")
            };
            println!(
                "✓ {} events, head {}…, {} checkpoints signed by {}",
                r.events,
                &r.head_hash[..r.head_hash.len().min(12)],
                r.checkpoints,
                signers
            );
        }
        Some(p) => {
            let kind = serde_json::to_value(p.kind)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default();
            println!("✗ chain broken ({kind}): {}", p.message);
        }
    }
}

pub fn audit_page(p: &AuditPage, f: Format) {
    if f == Format::Json {
        return json(p);
    }
    println!(
        "{:>6}  {:<27} {:<20} {:<20} outcome",
        "seq", "time", "actor", "action"
    );
    for r in &p.rows {
        let outcome = serde_json::to_value(r.outcome)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        println!(
            "{:>6}  {:<27} {:<20} {:<20} {}{}",
            r.seq,
            r.ts,
            r.actor_name.as_deref().unwrap_or("-"),
            r.action.as_str(),
            outcome,
            if r.break_glass { "  [break-glass]" } else { "" }
        );
    }
    println!("{} of {} events shown", p.rows.len(), p.total);
}
