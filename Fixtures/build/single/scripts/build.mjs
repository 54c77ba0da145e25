// Builds dist/ from src/: each file gets the banner of fixture-banner (a devDependency).
import fs from 'node:fs'
import path from 'node:path'
import bannerModule from 'fixture-banner'

const pkg = JSON.parse(fs.readFileSync('package.json', 'utf8'))
fs.mkdirSync('dist', { recursive: true })
for (const name of fs.readdirSync('src').sort()) {
  const source = fs.readFileSync(path.join('src', name), 'utf8')
  fs.writeFileSync(path.join('dist', name), bannerModule.banner(pkg.name, pkg.version) + source)
}
