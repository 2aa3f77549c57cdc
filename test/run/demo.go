package main

import (
	"bytes"
	"compress/gzip"
	"embed"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io/fs"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// demoText is the demo's hand-written part: its README, a short guide and
// a script.
//
//go:embed demo
var demoText embed.FS

// demoTime is every demo file's modification time, so the archive is the
// same on every run.
var demoTime = time.Date(2024, 6, 30, 12, 0, 0, 0, time.UTC)

// writeDemo writes the demo tree into dir: the hand-written files, then
// generated data that looks real (weather CSVs, PNG map tiles, gzip logs,
// a large binary), a few hundred files in nested folders. Files are 0644,
// the script 0755, directories 0755.
func writeDemo(dir string) error {
	files := map[string][]byte{}
	err := fs.WalkDir(demoText, "demo", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := demoText.ReadFile(path)
		files[strings.TrimPrefix(path, "demo/")] = data
		return err
	})
	if err != nil {
		return err
	}
	r := rand.New(rand.NewPCG(2024, 6))
	weather(files, r)
	if err := tiles(files); err != nil {
		return err
	}
	if err := logs(files, r); err != nil {
		return err
	}
	big := make([]byte, 12<<20)
	for i := range big {
		big[i] = byte(r.Uint32())
	}
	files["media/big.bin"] = big

	for path, data := range files {
		full := filepath.Join(dir, filepath.FromSlash(path))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			return err
		}
		mode := os.FileMode(0o644)
		if strings.HasSuffix(path, ".sh") {
			mode = 0o755
		}
		if err := os.WriteFile(full, data, mode); err != nil {
			return err
		}
		if err := os.Chmod(full, mode); err != nil { // whatever the umask
			return err
		}
	}
	link := filepath.Join(dir, "docs", "start-here.md")
	if err := os.Symlink("guide/getting-started.md", link); err != nil {
		return err
	}
	return filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type()&fs.ModeSymlink != 0 {
			return nil
		}
		if d.IsDir() {
			if err := os.Chmod(path, 0o755); err != nil {
				return err
			}
		}
		return os.Chtimes(path, demoTime, demoTime)
	})
}

type station struct {
	ID        string  `json:"id"`
	City      string  `json:"city"`
	Latitude  float64 `json:"latitude"`
	Longitude float64 `json:"longitude"`
	// MeanC and SwingC shape the made-up yearly temperature curve.
	MeanC  float64 `json:"-"`
	SwingC float64 `json:"-"`
}

var stations = []station{
	{ID: "oslo", City: "Oslo", Latitude: 59.91, Longitude: 10.75, MeanC: 6, SwingC: 10},
	{ID: "lisbon", City: "Lisbon", Latitude: 38.72, Longitude: -9.14, MeanC: 17, SwingC: 6},
	{ID: "nairobi", City: "Nairobi", Latitude: -1.29, Longitude: 36.82, MeanC: 19, SwingC: -2},
}

// weather adds data/weather/<station>/<year>/<month>.csv and stations.json.
func weather(files map[string][]byte, r *rand.Rand) {
	meta, _ := json.MarshalIndent(map[string]any{
		"note":     "Generated for the s3archivefs demo; not measurements.",
		"columns":  []string{"date", "tmin_c", "tmax_c", "precip_mm"},
		"stations": stations,
	}, "", "  ")
	files["data/weather/stations.json"] = append(meta, '\n')
	for _, st := range stations {
		for year := 2022; year <= 2024; year++ {
			for month := time.January; month <= time.December; month++ {
				var b strings.Builder
				b.WriteString("date,tmin_c,tmax_c,precip_mm\n")
				for d := time.Date(year, month, 1, 0, 0, 0, 0, time.UTC); d.Month() == month; d = d.AddDate(0, 0, 1) {
					season := math.Cos(2 * math.Pi * float64(d.YearDay()-200) / 365)
					mean := st.MeanC + st.SwingC*season + r.NormFloat64()*2
					spread := 4 + r.Float64()*6
					rain := 0.0
					if r.Float64() < 0.35 {
						rain = math.Round(r.ExpFloat64()*40) / 10
					}
					fmt.Fprintf(&b, "%s,%.1f,%.1f,%.1f\n", d.Format("2006-01-02"), mean-spread/2, mean+spread/2, rain)
				}
				files[fmt.Sprintf("data/weather/%s/%d/%02d.csv", st.ID, year, int(month))] = []byte(b.String())
			}
		}
	}
}

// tiles adds maps/tiles/{z}/{x}/{y}.png for zoom 0 to 3: 64x64 images
// whose colours follow the tile's place, so neighbours look related.
func tiles(files map[string][]byte) error {
	for z := 0; z <= 3; z++ {
		n := 1 << z
		for x := range n {
			for y := range n {
				img := image.NewNRGBA(image.Rect(0, 0, 64, 64))
				for py := range 64 {
					for px := range 64 {
						u := (float64(x) + float64(px)/64) / float64(n)
						v := (float64(y) + float64(py)/64) / float64(n)
						land := math.Sin(u*9)*math.Cos(v*7)+math.Sin((u+v)*13)/3 > 0.1
						c := color.NRGBA{R: uint8(40 + 60*v), G: uint8(90 + 80*u), B: 200, A: 255}
						if land {
							c = color.NRGBA{R: uint8(90 + 100*v), G: uint8(140 + 60*u), B: uint8(60 + 40*u), A: 255}
						}
						img.SetNRGBA(px, py, c)
					}
				}
				var buf bytes.Buffer
				if err := png.Encode(&buf, img); err != nil {
					return err
				}
				files[fmt.Sprintf("maps/tiles/%d/%d/%d.png", z, x, y)] = buf.Bytes()
			}
		}
	}
	return nil
}

// logs adds logs/2024/06/<day>.log.gz: a month of access logs.
func logs(files map[string][]byte, r *rand.Rand) error {
	paths := []string{"/", "/index.html", "/maps/tiles/0/0/0.png", "/data/weather/oslo/2024/06.csv", "/docs/faq.md", "/media/big.bin"}
	agents := []string{"aws-cli/2.9.23", "Boto3/1.26.27", "rclone/v1.60.1", "curl/7.88.1", "Mozilla/5.0"}
	for day := 1; day <= 30; day++ {
		var plain bytes.Buffer
		t := time.Date(2024, 6, day, 0, 0, 0, 0, time.UTC)
		for t.Day() == day {
			status, size := 200, 200+r.IntN(40000)
			if r.IntN(20) == 0 {
				status, size = 404, 0
			}
			fmt.Fprintf(&plain, "%s 10.0.%d.%d GET %s %d %d %q\n", t.Format(time.RFC3339), r.IntN(4), 1+r.IntN(250),
				paths[r.IntN(len(paths))], status, size, agents[r.IntN(len(agents))])
			t = t.Add(time.Duration(5+r.IntN(120)) * time.Second)
		}
		var gz bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
		zw.Name, zw.ModTime = fmt.Sprintf("%02d.log", day), demoTime
		if _, err := zw.Write(plain.Bytes()); err != nil {
			return err
		}
		if err := zw.Close(); err != nil {
			return err
		}
		files[fmt.Sprintf("logs/2024/06/%02d.log.gz", day)] = gz.Bytes()
	}
	return nil
}
