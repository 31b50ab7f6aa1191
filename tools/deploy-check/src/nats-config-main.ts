#!/usr/bin/env node
/**
 * `pnpm nats:config`: renders the nats-server configs (liveness, and one user per service with
 * least privilege) from libs/contracts/src/nats-users.ts into tools/docker/nats and
 * k8s/base/nats. deploy-check fails when the committed files differ from the table.
 */
import { resolve } from 'node:path';
import { writeNatsConfigs } from './nats/nats-config.js';
import { findRepoRoot } from './repo-root.js';

const root = process.argv[2] ? resolve(process.argv[2]) : findRepoRoot();
for (const file of writeNatsConfigs(root)) console.log(`wrote ${file}`);
