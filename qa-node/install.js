// `npm install` builds the native addon, qa-engine.node (release), in a checkout.
//
// A packed release (scripts/dist.sh) carries a prebuilt addon, qa-engine.<platform>-<arch>[-<abi>].node,
// and no Rust sources: there this script only says which prebuilt is used (and is not needed at
// all: `npm install --ignore-scripts` works), or, on a platform the package has no prebuilt for,
// fails saying so.
//
// Inside this folder (a developer's `npm install`), @napi-rs/cli is there and `napi build` also
// regenerates index.d.ts. Installed into another project (`npm install ./qa-node`), npm runs
// this script before, or without, this package's dev dependencies: then cargo builds the same
// library directly and it is copied into place.
'use strict'

const { execFileSync } = require('node:child_process')
const fs = require('node:fs')
const path = require('node:path')

const { prebuilt, triples } = require('./platform.js')

const here = __dirname
const run = (cmd, args) => execFileSync(cmd, args, { cwd: here, stdio: 'inherit' })

/** The napi CLI's script, when @napi-rs/cli is installed. */
function napiCli() {
  try {
    const pkg = require.resolve('@napi-rs/cli/package.json', { paths: [here] })
    return path.join(path.dirname(pkg), require(pkg).bin.napi)
  } catch {
    return null
  }
}

const cli = napiCli()
const checkout = fs.existsSync(path.join(here, 'Cargo.toml'))
const packed = prebuilt(here)

if (!checkout) {
  if (packed) {
    console.log(`qa-engine: using the prebuilt addon ${path.basename(packed)}`)
  } else {
    console.error(
      `qa-engine: this package has no prebuilt addon for ${triples()[0]} ` +
        `(qa-engine.${triples()[0]}.node) and no Rust sources to build one: ` +
        'build it from a checkout of the repository (`npm install ./qa-node`, needs a Rust toolchain).',
    )
    process.exitCode = 1
  }
} else if (cli) {
  run(process.execPath, [cli, 'build', '--release'])
} else {
  const manifest = path.join(here, 'Cargo.toml')
  run('cargo', ['build', '--release', '--lib', '--manifest-path', manifest])
  const meta = JSON.parse(
    execFileSync('cargo', ['metadata', '--format-version', '1', '--no-deps', '--manifest-path', manifest], {
      cwd: here,
      encoding: 'utf8',
      maxBuffer: 64 << 20,
    }),
  )
  const file = { win32: 'qa_node.dll', darwin: 'libqa_node.dylib' }[process.platform] ?? 'libqa_node.so'
  fs.copyFileSync(path.join(meta.target_directory, 'release', file), path.join(here, 'qa-engine.node'))
  console.log('qa-engine: built qa-engine.node')
}
