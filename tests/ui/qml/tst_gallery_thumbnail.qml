import QtQuick
import QtTest
import Atelier

// A gallery cell shows the whole image at its aspect ratio: a 128×96 image is not squashed
// into the square cell.
TestCase {
    id: test
    name: "GalleryThumbnail"
    when: windowShown
    width: 400
    height: 400

    Component {
        id: tileComponent
        GalleryThumbnail { width: 172; height: 172 }
    }
    Component {
        id: pictureComponent
        Rectangle { width: 128; height: 96; color: "#3f6b4f"; Rectangle { width: 64; height: 48; color: "white" } }
    }

    function test_thumbnail_keeps_the_aspect_ratio() {
        const picture = createTemporaryObject(pictureComponent, test)
        const file = testOutputDir + "/thumbnail-128x96.png"
        let saved = false
        picture.grabToImage(result => { saved = result.saveToFile(file) })
        tryVerify(() => saved, 5000)

        const tile = createTemporaryObject(tileComponent, test, { path: file })
        tryCompare(tile.image, "status", Image.Ready, 10000)
        fuzzyCompare(tile.image.paintedWidth / tile.image.paintedHeight, 128 / 96, 0.01)
        compare(tile.image.paintedWidth, tile.image.width)  // as wide as the cell
        verify(tile.image.paintedHeight < tile.image.height)
    }
}
